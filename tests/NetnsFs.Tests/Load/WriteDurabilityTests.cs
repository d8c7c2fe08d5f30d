using System.Diagnostics;
using NetnsFs.Tests.Core;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Load;

/// <summary>Data acknowledged by write() is never dropped, also when the file is closed right after
/// the last write: the server counts (and hashes) every byte the writes reported.</summary>
[TestFixture]
public sealed class WriteDurabilityTests
{
    /// <summary>argv: PATH TOTAL CHUNK. Writes TOTAL random bytes in writes of CHUNK, closes at
    /// once, and prints the sum of what the writes returned and the SHA-256 of those bytes.</summary>
    private const string Writer = """
        import hashlib, json, os, sys, time
        path, total, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        data = memoryview(os.urandom(total))
        fd = os.open(path, os.O_RDWR)
        t0 = time.monotonic()
        acked = 0
        while acked < total:
            acked += os.write(fd, data[acked : min(acked + chunk, total)])
        os.close(fd)
        print(json.dumps({"acked": acked, "sha": hashlib.sha256(data[:acked]).hexdigest(), "seconds": time.monotonic() - t0}))
        """;

    [TestCase(64 << 20, 1 << 20, 0.0, TestName = "64 MiB in 1 MiB writes, closed at once")]
    [TestCase(64 << 20, 64 << 20, 0.0, TestName = "64 MiB in one write, closed at once")]
    [TestCase(1 << 20, 100, 0.0, TestName = "1 MiB in 100-byte writes, closed at once")]
    [TestCase(16 << 20, 1 << 20, 1.5, TestName = "16 MiB to a server that starts reading 1.5 s late, closed at once")]
    public void Every_acknowledged_byte_arrives(int total, int chunk, double serverDelay)
    {
        using var ns = new NamespaceHolder();
        var server = ns.Start([Run.Python3, "-u", "-c", FaultTests.Server, "count", "127.0.0.1", serverDelay.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var portLine = server.StandardOutput.ReadLineAsync();
        Assert.That(portLine.Wait(TimeSpan.FromSeconds(15)) && portLine.Result is not null, Is.True, "the server printed its port");
        using var m = new NetnsfsMount($"netns={ns.Path}");
        var sw = Stopwatch.StartNew();
        var j = Py.Json(Writer, TimeSpan.FromSeconds(60), m[$"tcp/127.0.0.1/{portLine.Result}"], LoadSupport.Str(total), LoadSupport.Str(chunk));
        long acked = j.GetProperty("acked").GetInt64();
        var countLine = server.StandardOutput.ReadLineAsync();
        Assert.That(countLine.Wait(TimeSpan.FromSeconds(30)), Is.True, "the server saw EOF and counted");
        TestContext.Progress.WriteLine($"{total} bytes in writes of {chunk}: acked {acked}, server {countLine.Result} ({sw.Elapsed.TotalSeconds:F1} s)");
        Assert.That(acked, Is.EqualTo(total), "the writes reported everything");
        Assert.That(countLine.Result, Is.EqualTo($"COUNT {total} {j.GetProperty("sha").GetString()}"), "bytes (and their order) the server received");
        Assert.That(Await.Eventually(() => Host.Sockets(m) == 0, TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(m.DaemonAlive, Is.True);
    }

    /// <summary>argv: MOUNT DAEMON_PID. Inside the namespace: a slow reader (64 KiB, then 2 ms)
    /// takes a stream of blocking 1 MiB writes through the mount; once it has 8 MiB and the mount
    /// holds an answered write (status held_writes=1), the daemon is SIGKILLed. Prints what the
    /// writes returned in all, what the reader got, and how its stream ended.</summary>
    private const string KilledMidStream = $$"""
        import errno, json, mmap, os, select, signal, socket, sys, threading, time
        M, daemon = sys.argv[1], int(sys.argv[2])
        srv = socket.socket()
        srv.bind(('127.0.0.1', 0))
        srv.listen(1)
        srv.settimeout(30)
        fd = os.open('%s/tcp/127.0.0.1/%d' % (M, srv.getsockname()[1]), os.O_RDWR)
        conn, _ = srv.accept()
        state = {'acked': 0, 'error': None, 'received': 0, 'end': 'eof'}
        enough = threading.Event()
        def write():
            chunk = mmap.mmap(-1, 1 << 20)  # page-aligned: one FUSE write per os.write
            try:
                for i in range(1024):
                    state['acked'] += os.write(fd, chunk)
            except OSError as e:
                state['error'] = errno.errorcode[e.errno]
        def read():
            conn.settimeout(30)
            while True:
                try:
                    b = conn.recv(1 << 16)
                except ConnectionResetError:
                    state['end'] = 'ECONNRESET'
                    break
                except socket.timeout:
                    state['end'] = 'timeout'
                    break
                if not b:
                    break
                state['received'] += len(b)
                if state['received'] >= 8 << 20:
                    enough.set()
                time.sleep(0.002)
        {{PyFunctions.Status}}
        w = threading.Thread(target=write)
        r = threading.Thread(target=read)
        w.start()
        r.start()
        assert enough.wait(30), 'the reader got 8 MiB'
        await_status(M, 'a held write', lambda s: s['held_writes'] == '1', timeout=30)
        os.kill(daemon, signal.SIGKILL)
        w.join(30)
        r.join(60)
        print(json.dumps(state))
        """;

    /// <summary>Issue 17, item 3, as it was seen: a stream to a reader that keeps reading, the
    /// daemon SIGKILLed in its middle while it holds an answered write. The reader must get every
    /// byte the writes reported, or a reset: never a clean end short of what the writer was told.</summary>
    [Test]
    public void SIGKILL_in_mid_stream_never_ends_the_stream_cleanly_short_of_what_was_acknowledged()
    {
        using var tmp = new TempDir("durable");
        using var ns = new NamespaceHolder();
        using var m = new NetnsfsMount($"netns={ns.Path}");
        try
        {
            var j = SocketKit.Json(SocketKit.PythonIn(ns.Path, tmp, KilledMidStream, m.Dir, LoadSupport.Str(m.DaemonPid)));
            TestContext.Progress.WriteLine(j.ToString());
            long acked = j.GetProperty("acked").GetInt64(), received = j.GetProperty("received").GetInt64();
            string? end = j.GetProperty("end").GetString();
            Assert.That(end == "ECONNRESET" || (end == "eof" && received >= acked), Is.True,
                $"writes reported {acked} bytes, the reader got {received}, then {end}");
        }
        finally
        {
            Lifetime.LifetimeKit.KillDaemon(m.DaemonPid);
        }
    }
}
