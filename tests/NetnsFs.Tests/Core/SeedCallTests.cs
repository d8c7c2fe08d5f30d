using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Core;

/// <summary>The seed's call, open("DIR/inet;stream;tcp", O_RDWR|O_CREAT, 0777), made by real
/// programs: it gives a file backed by a fresh, unconnected socket that lives while the file is open.</summary>
public sealed class SeedCallTests
{
    private const string CProgram = """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/stat.h>
        #include <time.h>
        #include <unistd.h>

        static const char *dir;

        static int sockets(void)
        {
            char path[4096], buf[4096];
            snprintf(path, sizeof path, "%s/status", dir);
            int fd = open(path, O_RDONLY);
            if (fd < 0)
                return -1;
            ssize_t n = read(fd, buf, sizeof buf - 1);
            close(fd);
            if (n <= 0)
                return -1;
            buf[n] = 0;
            char *p = strstr(buf, "\nsockets=");
            return p ? atoi(p + 9) : -1;
        }

        /* close() sends RELEASE asynchronously: wait up to 2 s for the count we expect. */
        static int wait_sockets(int want)
        {
            int v = -1;
            for (int i = 0; i < 100; i++) {
                v = sockets();
                if (v == want)
                    break;
                struct timespec ts = {0, 20 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
            return v;
        }

        static const char *err(void) { return errno ? strerrorname_np(errno) : "0"; }

        int main(int argc, char **argv)
        {
            dir = argv[1];
            char path[4096];
            snprintf(path, sizeof path, "%s/inet;stream;tcp", dir);
            int fd = open(path, O_RDWR | O_CREAT, 0777);
            if (fd < 0) {
                printf("open=%s\n", strerrorname_np(errno));
                return 1;
            }
            printf("open=ok\n");
            struct stat st;
            fstat(fd, &st);
            printf("regular=%d\n", S_ISREG(st.st_mode) ? 1 : 0);
            printf("sockets_open=%d\n", wait_sockets(1));
            errno = 0;
            ssize_t n = write(fd, "x", 1);
            printf("write=%zd %s\n", n, err());
            char b[16];
            errno = 0;
            n = read(fd, b, sizeof b);
            printf("read=%zd %s\n", n, err());
            errno = 0;
            off_t o = lseek(fd, 0, SEEK_SET);
            printf("lseek=%ld %s\n", (long)o, err());
            close(fd);
            printf("sockets_closed=%d\n", wait_sockets(0));

            /* Every triple the root lists opens the same way, all at once. */
            int fds[64], opened = 0;
            for (int i = 2; i < argc && i < 66; i++) {
                snprintf(path, sizeof path, "%s/%s", dir, argv[i]);
                int f = open(path, O_RDWR | O_CREAT, 0777);
                if (f < 0)
                    printf("failed %s: %s\n", argv[i], strerrorname_np(errno));
                else
                    fds[opened++] = f;
            }
            printf("listed_opened=%d\n", opened);
            printf("listed_sockets=%d\n", wait_sockets(opened));
            for (int i = 0; i < opened; i++)
                close(fds[i]);
            printf("listed_closed=%d\n", wait_sockets(0));
            return 0;
        }
        """;

    [Test]
    public void From_C_open_O_CREAT_0777_gives_an_unconnected_socket_that_lives_while_open()
    {
        using var tmp = new TempDir("cprogram");
        string src = Path.Combine(tmp.Path, "seed.c");
        string exe = Path.Combine(tmp.Path, "seed");
        File.WriteAllText(src, CProgram);
        Run.Checked(Run.Process("cc", ["-O1", "-Wall", "-Werror", "-o", exe, src], TimeSpan.FromSeconds(60)));

        using var m = new NetnsfsMount("create");
        var triples = Directory.GetFileSystemEntries(m.Dir).Select(Path.GetFileName).Where(n => n!.Count(c => c == ';') == 2).Select(n => n!).ToList();
        Assert.That(triples, Does.Contain("inet;stream;tcp").And.Contain("unix;stream;0").And.Contain("inet6;dgram;udp"));
        Host.WarmUp(m, [.. triples]);
        int fdsBefore = m.DaemonFdCount;

        var r = Run.Process(exe, [m.Dir, .. triples], TimeSpan.FromSeconds(30));
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.Zero, r.ToString());
            Assert.That(lines, Does.Contain("open=ok"), r.ToString());
            Assert.That(lines, Does.Contain("regular=1"), "a socket file is a regular file to stat");
            Assert.That(lines, Does.Contain("sockets_open=1"), "status counts the open socket");
            Assert.That(lines, Does.Contain("write=-1 EPIPE"), "send on an unconnected TCP socket");
            Assert.That(lines, Does.Contain("read=-1 ENOTCONN"), "recv on an unconnected TCP socket");
            Assert.That(lines, Does.Contain("lseek=-1 ESPIPE"), "a socket file is a stream");
            Assert.That(lines, Does.Contain("sockets_closed=0"), "close releases the socket");
            Assert.That(lines.Where(l => l.StartsWith("failed ", StringComparison.Ordinal)), Is.Empty, "every listed triple opens");
            Assert.That(lines, Does.Contain($"listed_opened={triples.Count}"));
            Assert.That(lines, Does.Contain($"listed_sockets={triples.Count}"));
            Assert.That(lines, Does.Contain("listed_closed=0"));
        });
        Assert.That(Await.Eventually(() => m.DaemonFdCount == fdsBefore, TimeSpan.FromSeconds(2)), Is.True,
            $"the daemon holds {m.DaemonFdCount} fds after all files closed, {fdsBefore} before");
        Assert.That(m.DaemonAlive, Is.True);
    }

    private const string PythonProgram = """
        import errno, json, os, sys, time
        d = sys.argv[1]
        def sockets():
            for line in open(os.path.join(d, "status")):
                if line.startswith("sockets="):
                    return int(line[8:])
        def wait_sockets(want):
            v = None
            for _ in range(100):
                v = sockets()
                if v == want:
                    break
                time.sleep(0.02)
            return v
        def err(f):
            try:
                return f()
            except OSError as e:
                return errno.errorcode[e.errno]
        out = {}
        fd = os.open(os.path.join(d, "inet;stream;tcp"), os.O_RDWR | os.O_CREAT, 0o777)
        out["sockets_open"] = wait_sockets(1)
        out["write"] = err(lambda: os.write(fd, b"x"))
        out["read"] = err(lambda: os.read(fd, 16))
        # a second open of the same name is a second socket
        fd2 = os.open(os.path.join(d, "inet;stream;tcp"), os.O_RDWR | os.O_CREAT, 0o777)
        out["sockets_two"] = wait_sockets(2)
        os.close(fd)
        os.close(fd2)
        out["sockets_closed"] = wait_sockets(0)
        print(json.dumps(out))
        """;

    [Test]
    public void From_Python_os_open_O_CREAT_0o777_gives_one_socket_per_open()
    {
        using var m = new NetnsfsMount("create");
        var j = Py.Json(PythonProgram, TimeSpan.FromSeconds(30), m.Dir);
        Assert.Multiple(() =>
        {
            Assert.That(j.GetProperty("sockets_open").GetInt32(), Is.EqualTo(1));
            Assert.That(j.GetProperty("write").GetString(), Is.EqualTo("EPIPE"));
            Assert.That(j.GetProperty("read").GetString(), Is.EqualTo("ENOTCONN"));
            Assert.That(j.GetProperty("sockets_two").GetInt32(), Is.EqualTo(2));
            Assert.That(j.GetProperty("sockets_closed").GetInt32(), Is.Zero);
        });
        Assert.That(m.DaemonAlive, Is.True);
    }
}
