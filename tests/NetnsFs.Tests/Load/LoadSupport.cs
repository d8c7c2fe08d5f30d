using System.Globalization;
using NetnsFs.Tests.Core;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Load;

/// <summary>After the load tests: the C programs they compiled go (Support.GlobalCleanup is a
/// SetUpFixture of the NetnsFs.Tests.Support namespace, which does not cover this one).</summary>
[SetUpFixture]
public sealed class LoadCleanup
{
    [OneTimeTearDown]
    public void RemoveBinaries() => LoadSupport.RemoveBinaries();
}

/// <summary>C programs the load tests compile with cc (once per test run), and the daemon-side
/// checks every fault test ends with.</summary>
internal static class LoadSupport
{
    private static readonly Lazy<TempDir> BinDir = new(() => new TempDir("loadbin"));

    /// <summary>Removes the compiled programs (end of the run).</summary>
    public static void RemoveBinaries()
    {
        lock (Gate)
        {
            if (BinDir.IsValueCreated)
                BinDir.Value.Dispose();
            Built.Clear();
        }
    }
    private static readonly Dictionary<string, string> Built = [];
    private static readonly Lock Gate = new();

    /// <summary>Compiles <paramref name="source"/> (cc -O2) unless already built; returns the binary.</summary>
    public static string Compile(string name, string source)
    {
        lock (Gate)
        {
            if (Built.TryGetValue(name, out var done))
                return done;
            string dir = BinDir.Value.Path;
            string c = Path.Combine(dir, name + ".c");
            string bin = Path.Combine(dir, name);
            File.WriteAllText(c, source);
            var r = Run.Process("cc", ["-O2", "-Wall", "-Werror", "-o", bin, c], TimeSpan.FromSeconds(60));
            Assert.That(r.ExitCode, Is.Zero, $"cc {name}.c: {r}");
            Built[name] = bin;
            return bin;
        }
    }

    /// <summary>The daemon's fds, as "N -> target" lines (for a failure message).</summary>
    public static List<string> FdTargets(int pid)
    {
        var list = new List<string>();
        foreach (var fd in Directory.GetFileSystemEntries($"/proc/{pid}/fd"))
        {
            try
            {
                list.Add($"{Path.GetFileName(fd)} -> {new FileInfo(fd).LinkTarget}");
            }
            catch (IOException)
            {
            }
        }
        return list;
    }

    /// <summary>The daemon's fds other than assembly files: the runtime maps a .dll on first use
    /// (System.Runtime.Intrinsics under load, say) and keeps it, which is no leak.</summary>
    public static List<string> DaemonFds(int pid) =>
        [.. FdTargets(pid).Where(t => !t.EndsWith(".dll", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    /// <summary>What every fault must leave: the daemon alive, no socket open, its fds back to
    /// <paramref name="baseline"/> (<see cref="DaemonFds"/>; bounded waits: releases reach the
    /// daemon asynchronously).</summary>
    public static void AssertRecovered(NetnsfsMount m, List<string> baseline, string after)
    {
        Assert.That(m.DaemonAlive, Is.True, $"daemon alive after {after}");
        Assert.That(Await.Eventually(() => Host.Sockets(m) == 0, TimeSpan.FromSeconds(10)), Is.True, $"status sockets={Host.Sockets(m)} after {after}");
        if (!Await.Eventually(() => DaemonFds(m.DaemonPid).Count == baseline.Count, TimeSpan.FromSeconds(10)))
        {
            var now = DaemonFds(m.DaemonPid);
            Assert.Fail($"daemon fds {now.Count}, baseline {baseline.Count}, after {after}; new: {string.Join(", ", now.Except(baseline))}; gone: {string.Join(", ", baseline.Except(now))}");
        }
        Assert.That(File.ReadAllText(m["status"]), Does.Contain("sockets=0"), $"status after {after}");
    }

    public static string Str(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>argv: none. An epoll (level-triggered) TCP echo server on 127.0.0.1, port from the
    /// kernel printed first; raises RLIMIT_NOFILE so it can hold tens of thousands of clients.</summary>
    public const string EpollEchoServer = """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <netinet/in.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <sys/epoll.h>
        #include <sys/resource.h>
        #include <sys/socket.h>
        #include <unistd.h>

        int main(void) {
            struct rlimit rl;
            getrlimit(RLIMIT_NOFILE, &rl);
            rl.rlim_cur = rl.rlim_max; /* raising the hard limit needs CAP_SYS_RESOURCE, not always there */
            if (setrlimit(RLIMIT_NOFILE, &rl) != 0) { perror("setrlimit"); return 1; }
            int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            int one = 1;
            setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
            if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 65535)) { perror("bind/listen"); return 1; }
            socklen_t al = sizeof a;
            getsockname(ls, (struct sockaddr *)&a, &al);
            printf("%d\n", ntohs(a.sin_port));
            fflush(stdout);
            int ep = epoll_create1(0);
            struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
            epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
            struct epoll_event evs[512];
            char buf[65536];
            for (;;) {
                int n = epoll_wait(ep, evs, 512, -1);
                if (n < 0 && errno == EINTR) continue;
                for (int i = 0; i < n; i++) {
                    int fd = evs[i].data.fd;
                    if (fd == ls) {
                        int c;
                        while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                            struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
                            epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                        }
                        continue;
                    }
                    ssize_t r = read(fd, buf, sizeof buf);
                    if (r > 0) {
                        ssize_t off = 0;
                        while (off < r) {
                            ssize_t w = write(fd, buf + off, r - off);
                            if (w < 0) { if (errno == EAGAIN) { usleep(100); continue; } break; }
                            off += w;
                        }
                    } else if (r == 0 || errno != EAGAIN) {
                        close(fd);
                    }
                }
            }
        }
        """;

    /// <summary>argv: PATH N STATUS_FILE. Raises RLIMIT_NOFILE, opens PATH N times (all open at
    /// once), reads the mount's socket count, writes a unique token on each connection, reads each
    /// echo back and compares, closes all. Prints one JSON line.</summary>
    public const string ManyClients = """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/resource.h>
        #include <time.h>
        #include <unistd.h>

        static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

        static int sockets(const char *status) {
            FILE *f = fopen(status, "r");
            if (!f) return -1;
            char line[256]; int n = -1;
            while (fgets(line, sizeof line, f)) if (!strncmp(line, "sockets=", 8)) n = atoi(line + 8);
            fclose(f);
            return n;
        }

        int main(int argc, char **argv) {
            if (argc != 4) return 2;
            const char *path = argv[1]; int n = atoi(argv[2]); const char *status = argv[3];
            struct rlimit rl;
            getrlimit(RLIMIT_NOFILE, &rl);
            if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)n + 64) {
                rl.rlim_max = n + 64; /* needs CAP_SYS_RESOURCE */
            }
            rl.rlim_cur = rl.rlim_max;
            if (setrlimit(RLIMIT_NOFILE, &rl) != 0) { printf("{\"error\":\"setrlimit to %lu: %s\"}\n", (unsigned long)rl.rlim_cur, strerror(errno)); return 1; }
            int *fds = calloc(n, sizeof *fds);
            char (*tok)[48] = calloc(n, sizeof *tok);
            srandom(getpid());
            double t0 = now();
            for (int i = 0; i < n; i++) {
                fds[i] = open(path, O_RDWR);
                if (fds[i] < 0) { printf("{\"error\":\"open %d: %s\",\"opened\":%d}\n", i, strerror(errno), i); return 1; }
            }
            double t1 = now();
            int peak = sockets(status);
            for (int i = 0; i < n; i++) {
                int len = snprintf(tok[i], sizeof tok[i], "conn-%06d-%08lx-%08lx\n", i, random(), random());
                ssize_t w = write(fds[i], tok[i], len);
                if (w != len) { printf("{\"error\":\"write %d: %zd %s\"}\n", i, w, strerror(errno)); return 1; }
            }
            double t2 = now();
            int ok = 0, bad = 0; char first_bad[160] = "";
            for (int i = 0; i < n; i++) {
                char got[64]; size_t len = strlen(tok[i]), have = 0;
                while (have < len) {
                    ssize_t r = read(fds[i], got + have, len - have);
                    if (r <= 0) break;
                    have += r;
                }
                if (have == len && !memcmp(got, tok[i], len)) ok++;
                else if (bad++ == 0) snprintf(first_bad, sizeof first_bad, "conn %d: got %zu bytes", i, have);
            }
            double t3 = now();
            for (int i = 0; i < n; i++) close(fds[i]);
            double t4 = now();
            printf("{\"ok\":%d,\"bad\":%d,\"first_bad\":\"%s\",\"peak\":%d,\"open_s\":%.3f,\"write_s\":%.3f,\"read_s\":%.3f,\"close_s\":%.3f,\"total_s\":%.3f}\n",
                   ok, bad, first_bad, peak, t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0);
            return 0;
        }
        """;
}
