using System.Diagnostics;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Core;

/// <summary>Many connections at once, a stalled one among them, and a long transfer.</summary>
public sealed class LoadTests
{
    /// <summary>argv: PATH N STALL(idle|read) DIR. Opens one stalled connection, then N clients at
    /// once (all connected before any writes), each echoing its own message.</summary>
    private const string ConcurrentClients = $$"""
        import json, os, sys, threading, time
        {{PyFunctions.ReadUpTo}}
        path, n, stall, d = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
        def sockets():
            for line in open(os.path.join(d, "status")):
                if line.startswith("sockets="):
                    return int(line[8:])
        stalled = os.open(path, os.O_RDWR)
        if stall == "read":
            # a read that never gets data: pending in the daemon for the whole test
            threading.Thread(target=lambda: os.read(stalled, 100), daemon=True).start()
        opened = threading.Barrier(n + 1)
        go = threading.Barrier(n + 1)
        results = [None] * n
        def client(i):
            try:
                fd = os.open(path, os.O_RDWR)
            except OSError as e:
                results[i] = "open: " + repr(e)
                opened.abort()
                go.abort()
                return
            try:
                opened.wait(timeout=60)
                go.wait(timeout=60)
                msg = f"client {i} says {'x' * (i % 97)}\n".encode()
                sent = 0
                while sent < len(msg):
                    sent += os.write(fd, msg[sent:])
                got = read_up_to(fd, len(msg))
                results[i] = "ok" if got == msg else f"bad echo {got!r}"
            except Exception as e:
                results[i] = repr(e)
            finally:
                os.close(fd)
        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        peak = None
        try:
            opened.wait(timeout=60)
            peak = sockets()
            go.wait(timeout=60)
        except threading.BrokenBarrierError:
            pass
        deadline = time.monotonic() + 60
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        elapsed = time.monotonic() - t0
        after = None
        for _ in range(100):
            after = sockets()
            if after == 1:
                break
            time.sleep(0.02)
        failures = [f"{i}: {r}" for i, r in enumerate(results) if r != "ok"]
        out = {"ok": results.count("ok"), "failures": failures[:10], "peak": peak, "after": after, "seconds": elapsed}
        print(json.dumps(out), flush=True)
        os._exit(0)
        """;

    [TestCase("idle", 199)]
    [TestCase("read", 199)]
    public void Concurrent_connections_echo_while_one_is_stalled(string stall, int clients)
    {
        using var ns = new NamespaceHolder();
        int port = Py.StartServer(ns, Py.TcpEcho);
        using var m = new NetnsfsMount($"netns={ns.Path}");
        var warm = Py.Json(Py.EchoClient, TimeSpan.FromSeconds(30), m[$"tcp/127.0.0.1/{port}"], "warm-up\n");
        Assert.That(warm.GetProperty("got").GetString(), Is.EqualTo("warm-up\n"));
        Assert.That(Await.Eventually(() => Host.Sockets(m) == 0, TimeSpan.FromSeconds(2)), Is.True);
        int fdsBefore = m.DaemonFdCount;

        var j = Py.Json(ConcurrentClients, TimeSpan.FromSeconds(150), m[$"tcp/127.0.0.1/{port}"], clients.ToString(System.Globalization.CultureInfo.InvariantCulture), stall, m.Dir);
        TestContext.Progress.WriteLine($"{clients} clients + 1 stalled ({stall}): {j}");
        Assert.Multiple(() =>
        {
            Assert.That(j.GetProperty("failures").EnumerateArray().Select(e => e.GetString()), Is.Empty);
            Assert.That(j.GetProperty("ok").GetInt32(), Is.EqualTo(clients));
            Assert.That(j.GetProperty("peak").GetInt32(), Is.EqualTo(clients + 1), "all connections were open at once");
            Assert.That(j.GetProperty("after").GetInt32(), Is.EqualTo(1), "only the stalled connection is left once the others closed");
            Assert.That(j.GetProperty("seconds").GetDouble(), Is.LessThan(30));
        });
        // The client process is gone (its pending read interrupted): everything is released.
        Assert.That(Await.Eventually(() => Host.Sockets(m) == 0, TimeSpan.FromSeconds(3)), Is.True, $"sockets={Host.Sockets(m)} after the client exited");
        Assert.That(Await.Eventually(() => m.DaemonFdCount == fdsBefore, TimeSpan.FromSeconds(3)), Is.True, $"daemon fds {m.DaemonFdCount}, {fdsBefore} before");
        Assert.That(m.DaemonAlive, Is.True);
    }

    /// <summary>argv: PATH TOTAL_BYTES. Writes an 8-byte length, then TOTAL bytes in page-aligned
    /// 1 MiB chunks (a reproducible pseudo-random pattern, each chunk stamped with its index), then
    /// reads the server's "COUNT SHA256" line.</summary>
    private const string BulkClient = $$"""
        import hashlib, json, mmap, os, random, struct, sys, time
        {{PyFunctions.ReadLine}}
        path, total = sys.argv[1], int(sys.argv[2])
        chunk = 1 << 20
        rnd = random.Random(0x6E65746E73)
        blocks = [rnd.randbytes(chunk) for _ in range(16)]
        mm = mmap.mmap(-1, chunk)  # anonymous mapping: page-aligned
        mv = memoryview(mm)
        h = hashlib.sha256()
        t0 = time.monotonic()
        fd = os.open(path, os.O_RDWR)
        os.write(fd, struct.pack(">Q", total))
        for i in range(total // chunk):
            mm[:] = blocks[rnd.randrange(16)]
            mm[0:8] = struct.pack(">Q", i)
            h.update(mv)
            off = 0
            while off < chunk:
                off += os.write(fd, mv[off:])
        written = time.monotonic() - t0
        line = read_line(fd)
        os.close(fd)
        print(json.dumps({"reply": line.decode().strip(), "expected": f"{total} {h.hexdigest()}", "write_seconds": written, "seconds": time.monotonic() - t0}))
        """;

    [Test]
    public void One_GiB_arrives_intact()
    {
        const long total = 1L << 30;
        using var ns = new NamespaceHolder();
        int port = Py.StartServer(ns, Py.Sha256Server);
        using var m = new NetnsfsMount($"netns={ns.Path}");
        var before = m.Status;
        var sw = Stopwatch.StartNew();
        var j = Py.Json(BulkClient, TimeSpan.FromSeconds(60), m[$"tcp/127.0.0.1/{port}"], total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var after = m.Status;
        long allocated = long.Parse(after["allocated_bytes"], System.Globalization.CultureInfo.InvariantCulture)
            - long.Parse(before["allocated_bytes"], System.Globalization.CultureInfo.InvariantCulture);
        TestContext.Progress.WriteLine($"1 GiB through the mount in {sw.Elapsed.TotalSeconds:F1} s: {j}; daemon allocated {allocated} bytes, " +
            $"GC collections {before["gc_collections"]} -> {after["gc_collections"]}");
        Assert.That(j.GetProperty("reply").GetString(), Is.EqualTo(j.GetProperty("expected").GetString()), "bytes and SHA-256 the server saw");
        Assert.That(m.DaemonAlive, Is.True);
        // 1024 writes of 1 MiB (and the reads of the answer): the request path does not allocate
        // per request, so no collection runs. A write the socket cannot take at once costs its
        // wait record (~150 bytes): hence a bound per write, far below one buffer per request.
        Assert.That(after["gc_collections"], Is.EqualTo(before["gc_collections"]), "no garbage collection during 1 GiB");
        Assert.That(allocated, Is.LessThan(512 * 1024), "allocated by the daemon over 1024 writes of 1 MiB");
    }
}
