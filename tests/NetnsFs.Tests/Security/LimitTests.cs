using System.Globalization;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Security;

/// <summary>Issue 17, items 1, 4 and 5: no mount user can grow the root daemon without bound or hold
/// back another user. Each test attacks as nobody (uid 65534) and checks that a second user
/// (uid 1234) and root are still served; the limits refuse with their errno and show in `status`.</summary>
public sealed class LimitTests
{
    private const int EAGAIN = 11, EMFILE = 24, ENOBUFS = 105;

    /// <summary>A long-running python of <paramref name="uid"/> (setpriv; the script inline, so the
    /// user need not read a file of ours).</summary>
    private static Background AsUserInBackground(int uid, string script, params string[] args) =>
        new("setpriv", [$"--reuid={uid}", $"--regid={uid}", "--clear-groups", Run.Python3, "-u", "-c", script, .. args]);

    private static RunResult AsUser(int uid, string script, params string[] args) =>
        Run.Process("setpriv", [$"--reuid={uid}", $"--regid={uid}", "--clear-groups", Run.Python3, "-c", script, .. args], TimeSpan.FromSeconds(60));

    private static long RssKiB(int pid)
    {
        foreach (var line in File.ReadAllLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("no VmRSS");
    }

    /// <summary>limit_NAME=IN_USE/PER_UID/PER_MOUNT: what the mount holds now.</summary>
    private static long InUse(NetnsfsMount m, string name) =>
        m.Status.TryGetValue("limit_" + name, out var v) ? long.Parse(v.Split('/')[0], CultureInfo.InvariantCulture) : -1;

    private static long Refused(NetnsfsMount m, string name) =>
        m.Status.TryGetValue("refused_" + name, out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : -1;

    /// <summary>argv: MOUNT PATH ECHO_PORT. A round trip on a new connection to the echo server.</summary>
    private const string EchoOnce = """
        import os, sys
        fd = os.open(os.path.join(sys.argv[1], "tcp/127.0.0.1/" + sys.argv[2]), os.O_RDWR)
        os.write(fd, b"still served\n")
        print(os.read(fd, 100).decode().strip())
        os.close(fd)
        """;

    /// <summary>argv: PATH N. N threads each write 1 MiB at once to one connection whose peer
    /// never reads; each prints "r ok" or "r ERRNO" when its write returns. Blocked ones stay.</summary>
    private const string BlockedWrites = """
        import os, sys, threading, time
        fd = os.open(sys.argv[1], os.O_RDWR)
        data = b"x" * (1 << 20)
        def say(line):
            os.write(1, line.encode() + b"\n") # one write per line: print() from threads can interleave a line with another
        def one():
            try:
                os.write(fd, data)
                say("r ok")
            except OSError as e:
                say("r %d" % e.errno)
        for _ in range(int(sys.argv[2])):
            threading.Thread(target=one, daemon=True).start()
        say("started")
        time.sleep(600)
        """;

    [Test]
    public void Blocked_writes_past_the_held_data_cap_are_refused_and_the_daemon_stays_small()
    {
        const int writes = 120;
        using var dir = new TempDir("held");
        // linger=1: a write answered early (write-behind) is held, and counted, until its closed
        // socket gives up on the peer; here that is one second after the attacker is gone.
        using var m = new NetnsfsMount("create,allow_other,mode=0777,max_held=16,linger=1");
        using var servers = SocketKit.StartServers(m["ns"], dir, "hold,127.0.0.1,7701", "echo,127.0.0.1,7702");
        long before = RssKiB(m.DaemonPid);
        using var attacker = AsUserInBackground(65534, BlockedWrites, m["tcp/127.0.0.1/7701"], writes.ToString(CultureInfo.InvariantCulture));
        attacker.WaitLine(l => l == "started", TimeSpan.FromSeconds(30));
        // Every write the cap refuses returns at once; what stays blocked is bounded by the cap in
        // bytes, not in writes (a blocked write keeps its rest: up to its request buffer, less when
        // its socket took part of it), so the count that stays is not fixed: wait until it is steady.
        int Answered() => attacker.Lines.Count(l => l.StartsWith("r ", StringComparison.Ordinal));
        bool settled = Await.Eventually(() => Answered() >= writes / 2, TimeSpan.FromSeconds(30));
        int seen = -1;
        Await.Eventually(() => (seen, Answered()) is var (was, now) && (seen = now) == was, TimeSpan.FromSeconds(10), pollMs: 500);
        long after = RssKiB(m.DaemonPid);
        var answers = attacker.Lines.Where(l => l.StartsWith("r ", StringComparison.Ordinal)).ToList();
        TestContext.Out.WriteLine($"daemon VmRSS {before} KiB before, {after} KiB with {writes} blocked 1 MiB writes of nobody ({after - before} KiB more); answers: {answers.Count(a => a == "r ok")} ok, {answers.Count(a => a == $"r {ENOBUFS}")} ENOBUFS");
        var other = AsUser(1234, EchoOnce, m.Dir, "7702");
        var root = Run.Python(EchoOnce, m.Dir, "7702");
        Assert.Multiple(() =>
        {
            Assert.That(settled, Is.True, $"the writes past the cap were answered at once: {answers.Count} of {writes} answered\n{attacker}");
            Assert.That(answers.Count(a => a == $"r {ENOBUFS}"), Is.GreaterThanOrEqualTo(writes / 2), "refused with ENOBUFS");
            Assert.That(after - before, Is.LessThan(64 * 1024), "daemon RSS growth in KiB (unbounded: 1 MiB per blocked write)");
            Assert.That(m.DaemonAlive, Is.True);
            Assert.That(InUse(m, "held_bytes"), Is.InRange(1, 16L << 20), "held data counted, within the cap");
            Assert.That(Refused(m, "held_bytes"), Is.GreaterThan(0));
            Assert.That(other.Stdout.Trim(), Is.EqualTo("still served"), "another user's connection: " + other);
            Assert.That(root.Stdout.Trim(), Is.EqualTo("still served"), "root's: " + root);
        });
        attacker.Kill(); // its blocked writes are interrupted: their data is released
        Assert.That(Await.Eventually(() => InUse(m, "held_bytes") == 0, TimeSpan.FromSeconds(10)), Is.True, $"held data back to 0: {InUse(m, "held_bytes")}");
    }

    /// <summary>argv: MOUNT PATH N. Opens PATH N times with O_NONBLOCK (read-only for net/), keeps every fd, prints the
    /// errno of each open (0: opened) as one line of space-separated numbers.</summary>
    private const string OpenMany = """
        import os, resource, sys
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard)) # our own limit must not be what refuses
        out = []
        keep = []
        for _ in range(int(sys.argv[3])):
            try:
                mode = os.O_RDONLY if sys.argv[2].startswith("net/") else os.O_RDWR  # net/ tables are read-only
                keep.append(os.open(os.path.join(sys.argv[1], sys.argv[2]), mode | os.O_NONBLOCK))
                out.append(0)
            except OSError as e:
                out.append(e.errno)
        print(" ".join(map(str, out)))
        """;

    [Test]
    public void Nobody_cannot_make_more_listeners_than_the_per_user_cap()
    {
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        // Each open of tcp/listen/0 makes a new listener (EAGAIN: listening, no client yet).
        var r = AsUser(65534, OpenMany, m.Dir, "tcp/listen/0", "257");
        var errnos = r.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToList();
        var other = AsUser(1234, OpenMany, m.Dir, "tcp/listen/0", "1");
        var root = Run.Python(OpenMany, m.Dir, "tcp/listen/0", "1");
        Assert.Multiple(() =>
        {
            Assert.That(errnos, Has.Count.EqualTo(257), r.ToString());
            Assert.That(errnos.Take(256), Is.All.EqualTo(EAGAIN), "256 listeners (the default max_listeners)");
            Assert.That(errnos.Skip(256), Is.All.EqualTo(EMFILE), "the 257th: EMFILE");
            Assert.That(other.Stdout.Trim(), Is.EqualTo($"{EAGAIN}"), "another user still listens: " + other);
            Assert.That(root.Stdout.Trim(), Is.EqualTo($"{EAGAIN}"), "root still listens: " + root);
            Assert.That(InUse(m, "listeners"), Is.EqualTo(258));
            Assert.That(Refused(m, "listeners"), Is.EqualTo(1));
            Assert.That(m.DaemonAlive, Is.True);
        });
    }

    /// <summary>Socket files and snapshots (net/ tables) are each capped per user: the next open is
    /// EMFILE, another user still opens, the refusal is counted, and what was open is counted back
    /// once closed (to the one snapshot that is the status file being read for it).</summary>
    [TestCase("inet;stream;tcp", 4096, "sockets", 0, TestName = "Nobody_cannot_open_more_socket_files_than_the_per_user_cap")]
    [TestCase("net/dev", 64, "snapshots", 1, TestName = "Nobody_cannot_keep_more_snapshots_open_than_the_per_user_cap")]
    public void Nobody_cannot_hold_more_than_the_per_user_cap(string path, int cap, string resource, long inUseAfter)
    {
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        var r = AsUser(65534, OpenMany, m.Dir, path, (cap + 1).ToString(CultureInfo.InvariantCulture));
        var other = AsUser(1234, OpenMany, m.Dir, path, "1");
        Assert.Multiple(() =>
        {
            Assert.That(r.Stdout.Trim(), Is.EqualTo(string.Join(' ', Enumerable.Repeat("0", cap)) + $" {EMFILE}"), $"{cap} {resource} (the default max_{resource}), then EMFILE");
            Assert.That(other.Stdout.Trim(), Is.EqualTo("0"), "another user still opens: " + other);
            Assert.That(Refused(m, resource), Is.EqualTo(1));
        });
        // Closed (the scripts exited): counted back.
        Assert.That(Await.Eventually(() => InUse(m, resource) == inUseAfter, TimeSpan.FromSeconds(10)), Is.True, $"{resource} in use {InUse(m, resource)}");
    }

    /// <summary>argv: HANDOFF N. Opens N handoff connections (all kept), asks each for a socket,
    /// prints each reply's errno (-1: no reply).</summary>
    private const string ManyHandoffs = """
        import socket, struct, sys
        keep, out = [], []
        for _ in range(int(sys.argv[2])):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            c.settimeout(30)
            c.connect(sys.argv[1])
            keep.append(c)
            try:
                c.send(b"inet;stream;tcp")
            except OSError:
                pass
            try:
                msg, fds, _, _ = socket.recv_fds(c, 4096, 1)
                out.append(struct.unpack("<i", msg[:4])[0] if len(msg) >= 4 else -1)
                keep.extend(socket.socket(fileno=f) for f in fds)
            except OSError:
                out.append(-1)
        print(" ".join(map(str, out)))
        """;

    private static string HandoffOf(NetnsfsMount m) => Path.GetFullPath(File.ResolveLinkTarget(m["handoff"], false)!.FullName);

    [Test]
    public void Handoff_connections_past_the_per_user_cap_are_refused_and_others_are_still_served()
    {
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        string handoff = HandoffOf(m);
        var r = AsUser(65534, ManyHandoffs, handoff, "65");
        var errnos = r.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToList();
        var other = AsUser(1234, ManyHandoffs, handoff, "1");
        var root = Run.Python(ManyHandoffs, handoff, "1");
        Assert.Multiple(() =>
        {
            Assert.That(errnos, Has.Count.EqualTo(65), r.ToString());
            Assert.That(errnos.Take(64), Is.All.EqualTo(0), "64 connections served (the default max_handoffs)");
            // One EMFILE reply, then closed; a client whose request was already queued when the
            // daemon closed sees the close as ECONNRESET (the kernel reports that before the reply).
            Assert.That(errnos.Skip(64), Is.All.EqualTo(EMFILE).Or.EqualTo(-1), "the 65th is refused");
            Assert.That(other.Stdout.Trim(), Is.EqualTo("0"), "another user: " + other);
            Assert.That(root.Stdout.Trim(), Is.EqualTo("0"), "root: " + root);
            Assert.That(Refused(m, "handoffs"), Is.EqualTo(1));
        });
        Assert.That(Await.Eventually(() => InUse(m, "handoffs") == 0, TimeSpan.FromSeconds(10)), Is.True, "connections counted back");
    }

    /// <summary>argv: HANDOFF [PATH]. One request, then nothing: prints its errno, then "eof" when the daemon closes.</summary>
    private const string IdleHandoff = """
        import socket, struct, sys
        c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        c.connect(sys.argv[1])
        c.send(sys.argv[2].encode() if len(sys.argv) > 2 else b"inet;stream;tcp")
        msg, fds, _, _ = socket.recv_fds(c, 4096, 1)
        print("reply", struct.unpack("<i", msg[:4])[0], flush=True)
        c.settimeout(30)
        print("eof" if c.recv(4096) == b"" else "data")
        """;

    [Test]
    public void An_idle_handoff_connection_is_closed_after_the_idle_time()
    {
        using var m = new NetnsfsMount("create,allow_other,mode=0777,handoff_idle=1");
        var r = AsUser(65534, IdleHandoff, HandoffOf(m));
        Assert.That(r.Stdout, Is.EqualTo("reply 0\neof\n"), r.ToString());
        Assert.That(Await.Eventually(() => InUse(m, "handoffs") == 0, TimeSpan.FromSeconds(10)), Is.True);
    }

    [Test]
    public void A_handoff_request_being_served_does_not_count_as_idle()
    {
        using var tmp = new TempDir("idle");
        string resolv = SocketKit.WriteFile(tmp, "resolv.conf", "nameserver 127.0.0.53\noptions timeout:3 attempts:1\n");
        using var m = new NetnsfsMount($"create,allow_other,mode=0777,handoff_idle=1,resolv={resolv}");
        using var dns = SocketKit.StartServers(m["ns"], tmp, "dnssilent");
        // The lookup takes 3 s (a nameserver that never answers), three times the idle time.
        var r = AsUser(65534, IdleHandoff, HandoffOf(m), "tcp/slow.netnsfs.test/80");
        const int ETIMEDOUT = 110;
        Assert.That(r.Stdout, Is.EqualTo($"reply {ETIMEDOUT}\neof\n"), "answered, then closed once idle: " + r);
    }

    /// <summary>argv: HANDOFF TOTAL. As root: forks a flooder (uid 65534) that pipelines TOTAL
    /// requests the daemon refuses (inet;raw;icmp: EPERM for nobody, after reading its
    /// capabilities) on one connection, reading the answers, never more than WINDOW unanswered; once
    /// it has 1000 answers, a victim (uid 1234) asks for one socket. Prints what the victim got and
    /// how many answers the flooder had at that moment, then the flooder's total.</summary>
    private const string HandoffFlood = """
        #define _GNU_SOURCE
        #include <grp.h>
        #include <pthread.h>
        #include <sched.h>
        #include <stdatomic.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/mman.h>
        #include <sys/socket.h>
        #include <sys/un.h>
        #include <sys/wait.h>
        #include <unistd.h>

        #define BATCH 64
        #define WINDOW 128
        static atomic_long *answers;
        static atomic_int reading_over;
        static int conn;
        static long total;

        static void drop(uid_t id) {
            if (setgroups(0, NULL) || setgid(id) || setuid(id)) { perror("drop"); _exit(3); }
        }

        static int dial(const char *path) {
            int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
            struct sockaddr_un a = { .sun_family = AF_UNIX };
            strncpy(a.sun_path, path, sizeof a.sun_path - 1);
            if (connect(s, (struct sockaddr *)&a, sizeof a)) { perror("connect"); _exit(4); }
            return s;
        }

        static void *reader(void *arg) {
            (void)arg;
            static char bufs[BATCH][256];
            struct iovec iov[BATCH];
            struct mmsghdr mm[BATCH];
            memset(mm, 0, sizeof mm);
            for (int i = 0; i < BATCH; i++) {
                iov[i].iov_base = bufs[i]; iov[i].iov_len = sizeof bufs[i];
                mm[i].msg_hdr.msg_iov = &iov[i]; mm[i].msg_hdr.msg_iovlen = 1;
            }
            while (atomic_load(answers) < total) {
                int n = recvmmsg(conn, mm, BATCH, MSG_WAITFORONE, NULL);
                if (n <= 0) break;
                atomic_fetch_add(answers, n);
            }
            atomic_store(&reading_over, 1);
            return NULL;
        }

        int main(int argc, char **argv) {
            if (argc != 3) return 2;
            total = atol(argv[2]);
            answers = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
            pid_t flooder = fork();
            if (flooder == 0) {
                drop(65534);
                conn = dial(argv[1]);
                pthread_t t;
                pthread_create(&t, NULL, reader, NULL);
                struct iovec iov = { "inet;raw;icmp", 13 };
                struct mmsghdr mm[BATCH];
                memset(mm, 0, sizeof mm);
                for (int i = 0; i < BATCH; i++) { mm[i].msg_hdr.msg_iov = &iov; mm[i].msg_hdr.msg_iovlen = 1; }
                for (long sent = 0; sent < total && !atomic_load(&reading_over);) {
                    long room = WINDOW - (sent - atomic_load(answers));
                    if (room <= 0) { sched_yield(); continue; }
                    int want = total - sent < BATCH ? (int)(total - sent) : BATCH;
                    if (want > room) want = (int)room;
                    int n = sendmmsg(conn, mm, want, MSG_NOSIGNAL);
                    if (n <= 0) break;
                    sent += n;
                }
                pthread_join(t, NULL);
                _exit(0);
            }
            while (atomic_load(answers) < 1000) {
                if (waitpid(flooder, NULL, WNOHANG) == flooder) { printf("flooder ended at %ld answers\n", atomic_load(answers)); return 1; }
                usleep(100);
            }
            pid_t victim = fork();
            if (victim == 0) {
                drop(1234);
                int s = dial(argv[1]);
                send(s, "inet;stream;tcp", 15, MSG_NOSIGNAL);
                char buf[4096], cbuf[CMSG_SPACE(sizeof(int))];
                struct iovec iov = { buf, sizeof buf };
                struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
                ssize_t n = recvmsg(s, &m, 0);
                long seen = atomic_load(answers);
                int err = n >= 4 ? *(int *)buf : -1;
                printf("victim errno=%d fd=%d seen=%ld\n", err, n >= 4 && m.msg_controllen > 0, seen);
                fflush(stdout);
                _exit(0);
            }
            waitpid(victim, NULL, 0);
            waitpid(flooder, NULL, 0);
            printf("flooder answers=%ld of %ld\n", atomic_load(answers), total);
            return 0;
        }
        """;

    [Test]
    public void A_client_pipelining_refused_handoff_requests_neither_kills_the_daemon_nor_holds_back_another_user()
    {
        const long total = 100_000;
        using var bin = new TempDir("flood");
        string log = Path.Combine(bin.Path, "daemon.log");
        using var m = new NetnsfsMount($"create,allow_other,mode=0777,log={log}");
        string flood = Path.Combine(bin.Path, "handoff_flood");
        File.WriteAllText(flood + ".c", HandoffFlood);
        Run.Checked(Run.Process("cc", ["-O2", "-Wall", "-Werror", "-pthread", "-o", flood, flood + ".c"], TimeSpan.FromSeconds(60)));
        var r = Run.Process(flood, [HandoffOf(m), total.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(120));
        TestContext.Out.WriteLine(r.Stdout);
        var victim = r.Stdout.Split('\n').FirstOrDefault(l => l.StartsWith("victim ", StringComparison.Ordinal)) ?? "";
        long seen = victim.Contains("seen=", StringComparison.Ordinal) ? long.Parse(victim[(victim.IndexOf("seen=", StringComparison.Ordinal) + 5)..], CultureInfo.InvariantCulture) : -1;
        Assert.Multiple(() =>
        {
            Assert.That(m.DaemonAlive, Is.True, "the daemon survived the flood");
            Assert.That(victim, Does.StartWith("victim errno=0 fd=1 "), "the other user got its socket: " + r);
            Assert.That(seen, Is.InRange(1000, total / 2), "served while the flood ran (answers the flooder had then)");
            Assert.That(r.Stdout, Does.Contain($"flooder answers={total} of {total}"), "every flood request was answered: " + r);
            Assert.That(File.ReadLines(log).Count(l => l.Contains("needs CAP_NET_RAW", StringComparison.Ordinal)), Is.InRange(1, 50),
                "the refusals are logged, but not one line each: the flood cannot fill the log");
        });
    }
    [Test]
    public void Ls_of_5000_listeners_lists_each_once_while_another_user_is_served()
    {
        const int count = 5000;
        using var m = new NetnsfsMount($"create,allow_other,mode=0777,mount_max_listeners={count + 10}");
        // Root makes them (root is held to the per-mount cap only): each open of tcp/listen/0 a new one.
        var made = Run.Python(OpenMany, m.Dir, "tcp/listen/0", count.ToString(CultureInfo.InvariantCulture));
        Assert.That(made.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), Has.Length.EqualTo(count).And.All.EqualTo($"{EAGAIN}"), made.ToString());
        // A listing is built once per opendir (it was rebuilt, quadratically, for every chunk).
        var ls = Task.Run(() => AsUser(65534, "import os, sys; n = os.listdir(sys.argv[1]); print(len(n), len(set(n)))", m["tcp/listen"]));
        var other = AsUser(1234, OpenMany, m.Dir, "inet;stream;tcp", "1");
        Assert.That(ls.Wait(TimeSpan.FromSeconds(60)), Is.True, "ls finished");
        Assert.Multiple(() =>
        {
            Assert.That(ls.Result.Stdout.Trim(), Is.EqualTo($"{count} {count}"), "each listener once: " + ls.Result);
            Assert.That(other.Stdout.Trim(), Is.EqualTo("0"), "another user's open: " + other);
            Assert.That(m.Status["listeners"], Is.EqualTo(count.ToString(CultureInfo.InvariantCulture)));
            Assert.That(InUse(m, "listeners"), Is.EqualTo(count));
        });
        // The one open snapshot left is the status file being read for this.
        Assert.That(Await.Eventually(() => InUse(m, "snapshots") == 1, TimeSpan.FromSeconds(10)), Is.True, "the listing went at releasedir");
    }
    [Test]
    public void Nobody_cannot_make_more_namespaces_than_the_per_user_cap()
    {
        using var m = new NetnsfsMount("multi,spares=0,allow_other,mode=0777");
        const string mkdirs = """
            import os, sys
            out = []
            for i in range(int(sys.argv[3])):
                try:
                    os.mkdir(os.path.join(sys.argv[1], "%s%d" % (sys.argv[2], i)))
                    out.append(0)
                except OSError as e:
                    out.append(e.errno)
            print(" ".join(map(str, out)))
            """;
        var r = AsUser(65534, mkdirs, m.Dir, "n", "65");
        var other = AsUser(1234, mkdirs, m.Dir, "o", "1");
        const int ENOSPC = 28;
        Assert.Multiple(() =>
        {
            Assert.That(r.Stdout.Trim(), Is.EqualTo(string.Join(' ', Enumerable.Repeat("0", 64)) + $" {ENOSPC}"), "64 namespaces (the default max_namespaces), then ENOSPC");
            Assert.That(other.Stdout.Trim(), Is.EqualTo("0"), "another user's mkdir: " + other);
            Assert.That(InUse(m, "namespaces"), Is.EqualTo(65));
        });
        Directory.Delete(m["n0"]);
        Assert.That(InUse(m, "namespaces"), Is.EqualTo(64), "rmdir gives it back");
    }
}
