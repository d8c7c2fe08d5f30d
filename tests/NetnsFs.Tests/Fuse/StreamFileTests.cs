using System.Diagnostics;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Fuse;

/// <summary>The stream file <c>echo</c> on a real mount: reads that wait in the daemon without
/// holding a FUSE reader, signals that end them, and poll/epoll readiness through notifications.</summary>
[TestFixture]
public sealed class StreamFileTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static Thread Start(Action body, string name)
    {
        var t = new Thread(() => body()) { IsBackground = true, Name = name };
        t.Start();
        return t;
    }

    [Test]
    public void A_read_and_a_write_on_the_same_fd_both_complete()
    {
        using var m = new TestMount();
        using var fd = OwnedFd.Open(m["echo"], TestLibc.O_RDWR);
        var buf = new byte[64];
        int readResult = int.MinValue;
        int writeResult = int.MinValue;
        var reader = Start(() => readResult = TestLibc.Read(fd.Fd, buf), "reader");
        m.AwaitFs(f => f.PendingReads == 1, Bound, "the read waiting in the daemon");

        var writer = Start(() => writeResult = TestLibc.Write(fd.Fd, "ping"u8), "writer");
        bool wrote = writer.Join(TimeSpan.FromSeconds(5));
        bool read = reader.Join(TimeSpan.FromSeconds(5));
        Assert.Multiple(() =>
        {
            Assert.That(wrote, Is.True, "the write was not held behind the blocked read (file position lock?)");
            Assert.That(read, Is.True, "the read completed");
        });
        Assert.That(writeResult, Is.EqualTo(4));
        Assert.That(readResult, Is.EqualTo(4));
        Assert.That(SessionTests.Text(buf.AsSpan(0, 4)), Is.EqualTo("ping"));
    }

    /// <summary>A stream file opens with FOPEN_NOFLUSH: close(2) costs no FLUSH round trip, only the
    /// RELEASE the kernel sends without waiting. A plain file (hello) still gets its FLUSH, which
    /// shows the count would see one.</summary>
    [Test]
    public void Closing_a_stream_file_sends_no_flush()
    {
        using var m = new TestMount();
        OwnedFd.Open(m["echo"], TestLibc.O_RDWR).Dispose();
        m.AwaitFs(f => f.Releases == 1, Bound, "the echo file released");
        Assert.That(m.Fs.Flushes, Is.Zero, "FLUSH on closing the stream file");

        OwnedFd.Open(m["hello"], TestLibc.O_RDONLY).Dispose();
        m.AwaitFs(f => f.Releases == 2, Bound, "the hello file released");
        Assert.That(m.Fs.Flushes, Is.EqualTo(1), "FLUSH on closing the plain file");
    }

    [Test]
    public void A_hundred_blocked_readers_wait_at_once_and_are_all_released()
    {
        const int N = 100;
        using var m = new TestMount();
        var fds = new List<OwnedFd>();
        var threads = new List<Thread>();
        var results = new int[N];
        var bytes = new int[N];
        try
        {
            for (int i = 0; i < N; i++)
                fds.Add(OwnedFd.Open(m["echo"], TestLibc.O_RDONLY));
            for (int i = 0; i < N; i++)
            {
                int k = i;
                results[k] = int.MinValue;
                var t = new Thread(() =>
                {
                    var b = new byte[64];
                    results[k] = TestLibc.Read(fds[k].Fd, b);
                    bytes[k] = results[k] > 0 ? b[0] : -1;
                }, 256 * 1024)
                { IsBackground = true, Name = $"reader-{k}" };
                threads.Add(t);
                t.Start();
            }
            // All of them are in the daemon at the same time: nothing serialises the reads.
            m.AwaitFs(f => f.PendingReads == N, TimeSpan.FromSeconds(30), $"{N} reads waiting at once");
            Assert.That(threads.Count(t => t.IsAlive), Is.EqualTo(N), "every reader still blocked");

            var sw = Stopwatch.StartNew();
            using (var w = OwnedFd.Open(m["echo"], TestLibc.O_WRONLY))
            {
                for (int i = 0; i < N; i++)
                    Assert.That(TestLibc.Write(w.Fd, [(byte)i]), Is.EqualTo(1), $"write {i}");
            }
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            foreach (var t in threads)
                Assert.That(t.Join(deadline - DateTime.UtcNow > TimeSpan.Zero ? deadline - DateTime.UtcNow : TimeSpan.Zero), Is.True, $"{t.Name} released");
            TestContext.Progress.WriteLine($"{N} readers released in {sw.ElapsedMilliseconds} ms");

            Assert.Multiple(() =>
            {
                Assert.That(results, Is.All.EqualTo(1), "each reader got exactly the byte of one write");
                Assert.That(bytes.Order(), Is.EqualTo(Enumerable.Range(0, N)), "every write reached one reader");
                Assert.That(m.Fs.MaxPendingReads, Is.EqualTo(N));
                Assert.That(m.Fs.PendingReads, Is.Zero);
                Assert.That(m.Fs.CompletedDeferredReads, Is.EqualTo(N));
                Assert.That(m.Mount.Session.DeferredCount, Is.Zero);
            });
        }
        finally
        {
            m.Fs.FailAllWaiters();
            foreach (var t in threads)
                t.Join(TimeSpan.FromSeconds(5));
            foreach (var fd in fds)
                fd.Dispose();
        }
    }

    [Test]
    public void Sigint_ends_a_blocked_cat_within_a_second()
    {
        using var m = new TestMount();
        var r = Proc.Run("timeout", ["-s", "INT", "0.5", "cat", m["echo"]], Bound);
        TestContext.Progress.WriteLine($"timeout -s INT 0.5 cat: {r.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(124), "timeout reports that it had to signal: " + r);
            Assert.That(r.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(450)), "cat really waited");
            Assert.That(r.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)), "INTERRUPT answered EINTR at once");
            Assert.That(m.Fs.MaxPendingReads, Is.EqualTo(1), "the read waited in the daemon");
        });
        m.AwaitFs(f => f.PendingReads == 0 && f.Interrupts >= 1, TimeSpan.FromSeconds(2), "the waiter removed by INTERRUPT");
        m.AwaitFs(f => f.OpenEchoHandles == 0, TimeSpan.FromSeconds(2), "cat's file released");
        Assert.That(m.Mount.Session.DeferredCount, Is.Zero);
    }

    [Test]
    public void Sigkill_ends_a_process_blocked_in_read_within_a_second()
    {
        using var m = new TestMount();
        var psi = new ProcessStartInfo("cat", [m["echo"]]) { UseShellExecute = false, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        try
        {
            m.AwaitFs(f => f.PendingReads == 1, Bound, "cat's read waiting in the daemon");
            var sw = Stopwatch.StartNew();
            p.Kill();
            bool gone = p.WaitForExit(TimeSpan.FromSeconds(1));
            TestContext.Progress.WriteLine($"SIGKILL to exit: {sw.ElapsedMilliseconds} ms");
            Assert.That(gone, Is.True, "killed within 1 s");
            m.AwaitFs(f => f.PendingReads == 0, TimeSpan.FromSeconds(2), "the waiter gone");
            Assert.That(m.Fs.Interrupts, Is.GreaterThanOrEqualTo(1), "the kernel sent INTERRUPT and we answered it");
            m.AwaitFs(f => f.OpenEchoHandles == 0, TimeSpan.FromSeconds(2), "the killed process's file released");
        }
        finally
        {
            if (!p.HasExited)
            {
                m.Fs.FailAllWaiters();
                p.WaitForExit(TimeSpan.FromSeconds(5));
            }
        }
    }

    /// <summary>Runs a python3 -c SCRIPT that waits on the mount's echo file (its path is argv[1])
    /// while another process writes to it; fails the test, with the output, unless it exits 0.</summary>
    private static RunResult RunOnEcho(TestMount m, string script)
    {
        var r = Proc.Run("python3", ["-c", script, m["echo"]], TimeSpan.FromSeconds(30));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        return r;
    }

    /// <summary>The lines the script printed, one event each.</summary>
    private static string[] Lines(RunResult r) => r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private const string EpollLevel = """
        import os, select, subprocess, sys, time
        path = sys.argv[1]
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        ep = select.epoll()
        ep.register(fd, select.EPOLLIN)
        print("empty", [e for _, e in ep.poll(0.2)])
        try:
            os.read(fd, 10)
            print("nonblocking read of an empty stream returned data")
        except BlockingIOError:
            print("eagain")
        w = subprocess.Popen(["sh", "-c", 'sleep 0.3; printf hello >> "$1"', "sh", path])
        t0 = time.monotonic()
        ev = ep.poll(5)
        dt = time.monotonic() - t0
        w.wait(5)
        print("woke", [e for _, e in ev], "ok" if 0.2 <= dt < 3 else f"after {dt:.2f} s")
        print("data", os.read(fd, 100).decode())
        print("drained", [e for _, e in ep.poll(0.2)])
        """;

    [Test]
    public void Epoll_waiter_wakes_when_another_process_writes()
    {
        using var m = new TestMount();
        var r = RunOnEcho(m, EpollLevel);
        Assert.That(Lines(r), Is.EqualTo(new[]
        {
            "empty []",
            "eagain",
            "woke [1] ok",
            "data hello",
            "drained []",
        }), r.ToString());
        Assert.That(m.Fs.PollNotifications, Is.GreaterThanOrEqualTo(1), "woken by FUSE_NOTIFY_POLL");
    }

    private const string EpollEdge = """
        import os, select, subprocess, sys
        path = sys.argv[1]
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        ep = select.epoll()
        ep.register(fd, select.EPOLLIN | select.EPOLLET)
        print("empty", len(ep.poll(0.2)))
        for i in range(3):
            w = subprocess.Popen(["sh", "-c", 'sleep 0.2; printf x >> "$1"', "sh", path])
            first = ep.poll(5)
            extra = ep.poll(0.3)
            w.wait(5)
            print("write", i, "events", len(first), "more", len(extra))
        print("data", os.read(fd, 100).decode())
        """;

    [Test]
    public void Edge_triggered_epoll_wakes_once_per_write()
    {
        using var m = new TestMount();
        var r = RunOnEcho(m, EpollEdge);
        Assert.That(Lines(r), Is.EqualTo(new[]
        {
            "empty 0",
            "write 0 events 1 more 0",
            "write 1 events 1 more 0",
            "write 2 events 1 more 0",
            "data xxx",
        }), "each write wakes the unread, edge-triggered waiter exactly once: " + r);
    }

    private const string PollWait = """
        import os, select, subprocess, sys, time
        path = sys.argv[1]
        fd = os.open(path, os.O_RDONLY)
        p = select.poll()
        p.register(fd, select.POLLIN)
        print("empty", p.poll(200))
        w = subprocess.Popen(["sh", "-c", 'sleep 0.3; printf abc >> "$1"', "sh", path])
        t0 = time.monotonic()
        ev = p.poll(5000)
        dt = time.monotonic() - t0
        w.wait(5)
        # poll(2) polls every fd once more at its timeout: only the time shows a real wakeup.
        print("woke", [e & select.POLLIN for _, e in ev], "ok" if 0.2 <= dt < 3 else f"after {dt:.2f} s")
        print("data", os.read(fd, 100).decode())
        """;

    [Test]
    public void Poll_waiter_wakes_when_another_process_writes()
    {
        using var m = new TestMount();
        var r = RunOnEcho(m, PollWait);
        Assert.That(Lines(r), Is.EqualTo(new[] { "empty []", "woke [1] ok", "data abc" }), r.ToString());
    }

    [Test]
    public void Unmount_with_a_read_still_waiting_fails_it_and_ends_the_session()
    {
        var m = new TestMount();
        int result = int.MinValue;
        Thread? reader = null;
        try
        {
            var fd = OwnedFd.Open(m["echo"], TestLibc.O_RDONLY);
            reader = Start(() =>
            {
                result = TestLibc.Read(fd.Fd, new byte[16]);
                fd.Dispose();
            }, "reader");
            m.AwaitFs(f => f.PendingReads == 1, Bound, "the read waiting");
            Mounts.Detach(m.Dir);
            Assert.That(m.Mount.Session.Ended.IsCompleted, Is.False, "a lazily detached mount lives while a file is open");
            Assert.That(m.Fs.FailAllWaiters(), Is.EqualTo(1));
            Assert.That(reader.Join(Bound), Is.True);
            Assert.That(result, Is.EqualTo(-5 /* EIO */));
            Assert.That(m.Mount.Session.Ended.Wait(TimeSpan.FromSeconds(5)), Is.True, "the last file closed: the session ends");
        }
        finally
        {
            m.Dispose();
            reader?.Join(Bound);
        }
    }
}
