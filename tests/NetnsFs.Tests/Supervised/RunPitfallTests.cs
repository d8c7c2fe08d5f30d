using System.Globalization;
using NetnsFs.Tests.Security;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Supervised;

/// <summary>`netnsfs run` where a target does what a seccomp supervisor must not be surprised by:
/// it stacks a filter of its own, opens through io_uring (which the filter does not trap), or is
/// showered with signals while its trapped opens wait for the daemon. What the filter misses must
/// reach the kernel and the FUSE file's checks (no hole); what it traps must dial once and leave
/// no fd behind, in the target or in the daemon.</summary>
public sealed class RunPitfallTests
{
    private static RunResult UnderRun(params string[] command) =>
        Run.Process(RunBinary.Path, ["run", "--", .. command], TimeSpan.FromSeconds(120));

    /// <summary>gcc, warnings as errors, into the 0755 directory of the binary: nobody may run it.</summary>
    private static string Compile(string name, string source)
    {
        string file = Path.Combine(RunBinary.Dir, name + ".c");
        string program = Path.Combine(RunBinary.Dir, name);
        File.WriteAllText(file, source);
        var cc = Run.Process("gcc", ["-O1", "-Wall", "-Wextra", "-Werror", "-o", program, file]);
        Assert.That(cc.ExitCode, Is.Zero, cc.ToString());
        File.SetUnixFileMode(program, (UnixFileMode)0x1ed);
        return program;
    }

    /// <summary>Modes for nobody: 0777 gives rw-rw-rw- socket files (nobody may open them for
    /// writing); the default 0755 gives rw-r--r-- (reading only: an O_RDWR open is EACCES); 0700
    /// keeps nobody out of the root itself.</summary>
    private const string NobodyMayUse = "create,allow_other,mode=0777";
    private const string NobodyMayOnlyRead = "create,allow_other";
    private const string NobodyKeptOut = "create,allow_other,mode=0700";

    private const string SecondFilterC = """
        /* Under `netnsfs run`: (a) a filter with a listener of its own is refused (EBUSY: one
           listener per filter tree); (b) a plain filter stacks (getppid fails with EACCES,
           everything else is allowed); (c) opens of socket paths are still the outer run's: a
           kernel socket where the caller may use the mount, the FUSE file's EACCES where not.
           Prints one line. */
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <linux/audit.h>
        #include <linux/filter.h>
        #include <linux/seccomp.h>
        #include <stddef.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/prctl.h>
        #include <sys/syscall.h>
        #include <unistd.h>

        static int filters(void) {
            char line[256];
            int n = -1;
            FILE *f = fopen("/proc/self/status", "r");
            while (f && fgets(line, sizeof line, f))
                if (sscanf(line, "Seccomp_filters: %d", &n) == 1)
                    break;
            if (f)
                fclose(f);
            return n;
        }

        /* " WHAT socket:[" for a kernel socket, " WHAT LINK" for another fd, " WHAT ERRNO". */
        static void opened(const char *what, const char *path) {
            int fd = open(path, O_RDWR);
            if (fd < 0) {
                printf(" %s %d", what, errno);
                return;
            }
            char proc[64], link[4096];
            snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
            ssize_t n = readlink(proc, link, sizeof link - 1);
            link[n > 0 ? n : 0] = 0;
            if (strncmp(link, "socket:[", 8) == 0)
                link[8] = 0;
            printf(" %s %s", what, link);
            close(fd);
        }

        int main(int argc, char **argv) {
            if (argc < 3 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
                return 2;
            struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
            struct sock_fprog allow_prog = { sizeof allow / sizeof allow[0], allow };
            long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &allow_prog);
            printf("listener %d", listener < 0 ? errno : 0);
            struct sock_filter deny[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            };
            struct sock_fprog deny_prog = { sizeof deny / sizeof deny[0], deny };
            if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &deny_prog) != 0) {
                printf(" second %d\n", errno);
                return 1;
            }
            long ppid = syscall(SYS_getppid);
            printf(" getppid %d filters %d", ppid < 0 ? errno : 0, filters());
            opened("dial", argv[1]);
            for (int i = 2; i < argc; i++)
                opened("closed", argv[i]);
            printf("\n");
            return 0;
        }
        """;

    [Test]
    public void A_second_filter_installed_by_the_target_stacks_under_runs_and_leaves_no_hole()
    {
        string program = Compile("secondfilter", SecondFilterC);
        using var usable = new NetnsfsMount(NobodyMayUse);
        using var readOnly = new NetnsfsMount(NobodyMayOnlyRead);
        using var keptOut = new NetnsfsMount(NobodyKeptOut);
        string dial = $"{usable.Dir}/udp/127.0.0.1/9";
        string[] refused = [$"{readOnly.Dir}/udp/127.0.0.1/9", $"{keptOut.Dir}/tcp/listen/0"];

        // Without run the program's own listener is the first (0), and the FUSE files answer.
        var plain = AsUser.Command(AsUser.Nobody, [program, dial, .. refused]);
        Assert.That(plain.ExitCode, Is.Zero, plain.ToString());
        Assert.That(plain.Stdout.Trim(), Is.EqualTo($"listener 0 getppid 13 filters 2 dial {dial} closed 13 closed 13"), plain.ToString());

        // Under run: the second listener is EBUSY, the plain filter stacks on run's (2 filters:
        // run's and the target's; the refused one left none), its EACCES for getppid wins over
        // run's allow, and run's user notification for the opens wins over its allow.
        var run = AsUser.Command(AsUser.Nobody, [RunBinary.Path, "run", "--", program, dial, .. refused]);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout.Trim(), Is.EqualTo("listener 16 getppid 13 filters 2 dial socket:[ closed 13 closed 13"),
            "the target's own filter neither turns run's trap off nor lets a mount nobody may not use answer: " + run);
    }

    private const string IoUringOpenC = """
        /* Opens argv[1] O_RDWR twice: with openat(2), which `netnsfs run` traps, and with an
           io_uring IORING_OP_OPENAT (raw syscalls, no liburing), which it does not. Prints
           "openat X uring Y", X and Y the fd's link ("socket:[" for a kernel socket) or the
           errno; "setup ERRNO" (exit 3) if this kernel refuses io_uring_setup. */
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <linux/io_uring.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/mman.h>
        #include <sys/syscall.h>
        #include <unistd.h>

        static void show(const char *what, int fd_or_errno) {
            if (fd_or_errno < 0) {
                printf("%s %d", what, -fd_or_errno);
                return;
            }
            char proc[64], link[4096];
            snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd_or_errno);
            ssize_t n = readlink(proc, link, sizeof link - 1);
            link[n > 0 ? n : 0] = 0;
            if (strncmp(link, "socket:[", 8) == 0)
                link[8] = 0;
            printf("%s %s", what, link);
            close(fd_or_errno);
        }

        /* The new fd, or -errno of the completion. Exits on a failure of the ring itself. */
        static int uring_open(const char *path) {
            struct io_uring_params p;
            memset(&p, 0, sizeof p);
            int ring = (int)syscall(SYS_io_uring_setup, 4, &p);
            if (ring < 0) {
                printf("setup %d\n", errno);
                exit(3);
            }
            size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
            size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
            int single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
            if (single && cq_len > sq_len)
                sq_len = cq_len;
            char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
            char *cq = single ? sq : mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
            struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
            if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
                printf("mmap %d\n", errno);
                exit(2);
            }
            unsigned *sq_tail = (unsigned *)(sq + p.sq_off.tail);
            unsigned *sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
            unsigned *sq_array = (unsigned *)(sq + p.sq_off.array);
            unsigned tail = *sq_tail, index = tail & *sq_mask;
            struct io_uring_sqe *sqe = &sqes[index];
            memset(sqe, 0, sizeof *sqe);
            sqe->opcode = IORING_OP_OPENAT;
            sqe->fd = AT_FDCWD;
            sqe->addr = (unsigned long)path;
            sqe->open_flags = O_RDWR;
            sqe->user_data = 42;
            sq_array[index] = index;
            __atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
            if (syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
                printf("enter %d\n", errno);
                exit(2);
            }
            unsigned *cq_head = (unsigned *)(cq + p.cq_off.head);
            unsigned *cq_tail = (unsigned *)(cq + p.cq_off.tail);
            unsigned *cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
            struct io_uring_cqe *cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
            unsigned head = __atomic_load_n(cq_head, __ATOMIC_ACQUIRE);
            if (head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) || cqes[head & *cq_mask].user_data != 42) {
                printf("no completion\n");
                exit(2);
            }
            int res = cqes[head & *cq_mask].res;
            __atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
            close(ring);
            return res;
        }

        int main(int argc, char **argv) {
            if (argc != 2)
                return 2;
            int fd = openat(AT_FDCWD, argv[1], O_RDWR);
            int trapped = fd < 0 ? -errno : fd;
            int uring = uring_open(argv[1]);
            show("openat", trapped);
            show(" uring", uring);
            printf("\n");
            return 0;
        }
        """;

    [Test]
    public void An_io_uring_open_is_not_trapped_and_gets_the_FUSE_file_with_the_FUSE_files_checks()
    {
        string program = Compile("uringopen", IoUringOpenC);
        using var usable = new NetnsfsMount(NobodyMayUse);
        using var keptOut = new NetnsfsMount(NobodyKeptOut);
        string open = $"{usable.Dir}/udp/127.0.0.1/9";
        string closed = $"{keptOut.Dir}/udp/127.0.0.1/9";

        var r = AsUser.Command(AsUser.Nobody, RunBinary.Path, "run", "--", program, open);
        if (r.ExitCode == 3 && r.Stdout.StartsWith("setup ", StringComparison.Ordinal))
            Assert.Inconclusive($"io_uring_setup is refused to nobody here (errno {r.Stdout.Trim()[6..]}; kernel.io_uring_disabled?): nothing to test");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Trim(), Is.EqualTo($"openat socket:[ uring {open}"),
            "run traps the openat (a kernel socket) but not the io_uring open: that one is the FUSE socket file, as without run: " + r);

        var refused = AsUser.Command(AsUser.Nobody, RunBinary.Path, "run", "--", program, closed);
        Assert.That(refused.ExitCode, Is.Zero, refused.ToString());
        Assert.That(refused.Stdout.Trim(), Is.EqualTo("openat 13 uring 13"),
            "on a mount nobody may not use, the untrapped io_uring open meets the FUSE file's checks: a miss is no hole: " + refused);
    }

    /// <summary>A TCP server inside the namespace that counts the connections it accepts. A
    /// connection that sends "count?" is no dial: it is answered with the count so far. Accepting
    /// is in order of the handshakes' completion, so a query made once every dial is done counts
    /// them all.</summary>
    private const string CountingServerPy = """
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(4096)
        print("ready", s.getsockname()[1], flush=True)
        dials = 0
        while True:
            c, _ = s.accept()
            c.settimeout(30)
            try:
                data = c.recv(16)
            except OSError:
                data = b""
            if data == b"count?":
                c.sendall(b"%d\n" % dials)
            else:
                dials += 1
            c.close()
        """;

    private const string AskCountPy = """
        import socket, sys
        c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
        c.sendall(b"count?")
        print(c.makefile().readline().strip())
        """;

    /// <summary>OPENS opens of DIR/tcp/127.0.0.1/PORT, each closed at once, under a SIGALRM every
    /// 0.5 ms. INTERRUPT=1: the handler is installed without SA_RESTART, so an interrupted open
    /// returns EINTR and is retried (as os.open retries, PEP 475; made explicit through ctypes so
    /// that the EINTRs are counted), a new call and a new notification. INTERRUPT=0: SA_RESTART,
    /// the kernel restarts the call itself. An open that cannot complete under the storm (each
    /// try interrupted and made again) would never return: a watchdog thread (SIGALRM blocked, so
    /// the storm stays on the main thread) stops the timer once an open has taken LIMIT seconds,
    /// and the loop ends after it, so that such a run reports its numbers instead of timing out.
    /// Prints one JSON line.</summary>
    private const string StormPy = """
        import ctypes, errno, json, os, signal, sys, threading, time
        M, port, interrupt, count, limit = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4]), float(sys.argv[5])
        libc = ctypes.CDLL(None, use_errno=True)
        path = ("%s/tcp/127.0.0.1/%s" % (M, port)).encode()
        tick = 0.0005
        signals = 0  # handler runs: a SIGALRM pending while the call waits absorbs the later ticks
        def on_alarm(signum, frame):
            global signals
            signals += 1
        signal.signal(signal.SIGALRM, on_alarm)
        signal.siginterrupt(signal.SIGALRM, interrupt)
        ok = eintr = spanning = 0
        errors, kinds, durations = {}, set(), []
        armed, done, gave_up = threading.Event(), threading.Event(), threading.Event()
        opening = [None]
        def watchdog():
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            armed.set()
            while not done.wait(0.05):
                began = opening[0]
                if began is not None and time.monotonic() - began > limit:
                    gave_up.set()
                    signal.setitimer(signal.ITIMER_REAL, 0, 0)
                    return
        threading.Thread(target=watchdog, daemon=True).start()
        armed.wait()
        fds_before = len(os.listdir("/proc/self/fd"))
        signal.setitimer(signal.ITIMER_REAL, tick, tick)
        start = time.monotonic()
        for i in range(count):
            if gave_up.is_set():
                break
            t0 = opening[0] = time.monotonic()
            while True:
                fd = libc.open(path, os.O_RDWR | os.O_CLOEXEC)
                if fd >= 0 or ctypes.get_errno() != errno.EINTR:
                    break
                eintr += 1
            opening[0] = None
            d = time.monotonic() - t0
            durations.append(d)
            spanning += d > tick
            if fd < 0:
                e = errno.errorcode.get(ctypes.get_errno(), "?")
                errors[e] = errors.get(e, 0) + 1
                continue
            kinds.add(os.readlink("/proc/self/fd/%d" % fd)[:8])
            os.close(fd)
            ok += 1
        elapsed = time.monotonic() - start
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        done.set()
        during = signals
        fds_after = len(os.listdir("/proc/self/fd"))
        durations.sort()
        print(json.dumps({"ok": ok, "errors": errors, "kinds": sorted(kinds), "eintr": eintr, "ticks": int(elapsed / tick), "signals": during,
                          "spanning": spanning, "median_ms": round(durations[len(durations) // 2] * 1000, 3),
                          "max_ms": round(durations[-1] * 1000, 3), "elapsed_s": round(elapsed, 3),
                          "gave_up": gave_up.is_set(), "fds_before": fds_before, "fds_after": fds_after}))
        """;

    private const int StormOpens = 300;

    [Test]
    public void A_signal_storm_during_trapped_opens_neither_leaks_an_fd_nor_dials_twice()
    {
        using var m = new NetnsfsMount("create");
        // Each dial should last long enough that many timer ticks fall inside the trapped call.
        // The server accepting slowly would not lengthen it (the kernel completes the handshake),
        // and this kernel has no netem: a token bucket on the namespace's lo (64 bytes/ms, a burst
        // smaller than two SYNs) delays the handshake's packets by some ms.
        Run.Checked(Run.Process("nsenter", [$"--net={m["ns"]}", "--", "tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "512kbit", "burst", "128", "latency", "500ms"]));
        using var server = new Background("nsenter", [$"--net={m["ns"]}", "--", Run.Python3, "-u", "-c", CountingServerPy]);
        string port = server.WaitReady().Split(' ')[1];
        string dial = $"{m.Dir}/tcp/127.0.0.1/{port}";

        int Accepted()
        {
            var r = Run.Checked(Run.Process("nsenter", [$"--net={m["ns"]}", "--", Run.Python3, "-c", AskCountPy, port], TimeSpan.FromSeconds(90)));
            return int.Parse(r.Stdout.Trim(), CultureInfo.InvariantCulture);
        }

        // One request first, so that what the daemon keeps once it has served one is in the
        // baseline; taken once the daemon has closed the warm-up's handoff connection (it sees
        // the exited run's hangup a moment later, and a count read before that is 2 too high).
        var warmUp = UnderRun("/bin/bash", "-c", $"exec 3<>'{dial}'; readlink /proc/self/fd/3");
        Assert.That(warmUp.Stdout, Does.StartWith("socket:["), warmUp.ToString());
        int baseline = DaemonFds.Settled(m);
        int dials = 1;

        foreach (bool interrupt in new[] { true, false })
        {
            string mode = interrupt ? "siginterrupt(True): EINTR and a retried open" : "siginterrupt(False): SA_RESTART, restarted by the kernel";
            var result = UnderRun(Run.Python3, "-c", StormPy, m.Dir, port, interrupt ? "1" : "0", StormOpens.ToString(CultureInfo.InvariantCulture), "2");
            var r = SocketKit.Json(result);
            int ok = r.GetProperty("ok").GetInt32();
            int signals = r.GetProperty("signals").GetInt32();
            int spanning = r.GetProperty("spanning").GetInt32();
            dials += ok;
            bool fdsBack = Await.Eventually(() => DaemonFds.HandoffConnections(m) == 0 && m.DaemonFdCount == baseline, TimeSpan.FromSeconds(20));
            int accepted = Accepted();
            TestContext.Out.WriteLine($"{mode}: {r}; daemon fds {m.DaemonFdCount} (baseline {baseline}); server accepted {accepted}, expected {dials}");
            Assert.Multiple(() =>
            {
                Assert.That(ok, Is.EqualTo(StormOpens), $"{mode}: every open succeeded, none taking over 2 s (gave_up: the storm kept one from completing): {r}");
                Assert.That(r.GetProperty("kinds").ToString(), Is.EqualTo("""["socket:["]"""), $"{mode}: each a kernel socket: {r}");
                Assert.That(spanning, Is.GreaterThanOrEqualTo(StormOpens * 9 / 10), $"{mode}: the opens outlast a timer tick (the storm falls inside the trapped calls): {r}");
                Assert.That(signals, Is.GreaterThanOrEqualTo(StormOpens / 2), $"{mode}: the storm was real: {r}");
                Assert.That(r.GetProperty("fds_after").GetInt32(), Is.EqualTo(r.GetProperty("fds_before").GetInt32()), $"{mode}: no fd left in the target: {r}");
                Assert.That(fdsBack, Is.True, $"{mode}: the daemon is back to its {baseline} fds, holds {m.DaemonFdCount}");
                Assert.That(accepted, Is.EqualTo(dials), $"{mode}: one dial per succeeded open (the warm-up's included), none twice: {r}");
            });
        }
    }
}
