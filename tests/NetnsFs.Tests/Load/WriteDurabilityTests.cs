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
        var server = ns.Start(["python3", "-u", "-c", FaultTests.Server, "count", "127.0.0.1", serverDelay.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
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
        Assert.That(Host.WaitFor(() => Host.Sockets(m) == 0, TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(m.DaemonAlive, Is.True);
    }
}
