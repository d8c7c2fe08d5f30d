using System.Diagnostics;
using System.Text.Json;
using NetnsFs.Tests.Core;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Load;

/// <summary>Faults around a mount: clients killed in the middle of a read and of a 64 MiB write, a
/// peer that resets, interfaces that vanish under an open connection. Each ends with the daemon
/// alive, no socket left (status sockets=0) and its fds back to what they were after a warm-up.</summary>
[TestFixture]
public sealed class FaultTests
{
    /// <summary>argv: MODE [HOST]. hold: accepts and never reads or writes; echo; reset: reads one
    /// byte, then closes with SO_LINGER 0 (RST); count: counts bytes to EOF and prints "COUNT n SHA256"
    /// (after an optional delay: argv[3] seconds before it starts reading).</summary>
    internal const string Server = $$"""
        import hashlib, socket, struct, sys, threading, time
        mode = sys.argv[1]
        host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
        delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, 0))
        s.listen(128)
        print(s.getsockname()[1], flush=True)
        held = []
        {{PyFunctions.Echo}}
        def serve(c):
            if mode == "hold":
                held.append(c)
            elif mode == "echo":
                echo(c)
            elif mode == "reset":
                c.recv(1)
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()
            elif mode == "count":
                time.sleep(delay)
                n = 0
                h = hashlib.sha256()
                while True:
                    d = c.recv(1 << 20)
                    if not d:
                        break
                    n += len(d)
                    h.update(d)
                print(f"COUNT {n} {h.hexdigest()}", flush=True)
                c.close()
        while True:
            c, _ = s.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()
        """;

    /// <summary>argv: PATH ACTION. Opens PATH, prints "ready", then blocks: read (a read that never
    /// gets data) or write64 (one 64 MiB write to a peer that never reads).</summary>
    private const string BlockedClient = """
        import os, sys
        fd = os.open(sys.argv[1], os.O_RDWR)
        buf = bytes(64 << 20) if sys.argv[2] == "write64" else None
        print("ready", flush=True)
        if buf is None:
            os.read(fd, 100)
        else:
            os.write(fd, buf)
        print("returned", flush=True)
        """;

    /// <summary>argv: PATH. Sends one byte; prints the errno name of the read that follows (or "eof", "data").</summary>
    private const string ResetClient = """
        import errno, json, os, sys
        fd = os.open(sys.argv[1], os.O_RDWR)
        os.write(fd, b"x")
        try:
            d = os.read(fd, 100)
            result = "data" if d else "eof"
        except OSError as e:
            result = errno.errorcode.get(e.errno, str(e.errno))
        os.close(fd)
        print(json.dumps({"read": result}))
        """;

    /// <summary>argv: PATH FLAG. Exchanges "ping", prints "ready", waits (bounded) for FLAG to exist
    /// (the test has removed the link by then), writes once more and reports what a read that was
    /// already blocked got: an errno name, "eof", or "hang" after 60 s.</summary>
    private const string VanishClient = """
        import errno, json, os, sys, threading, time
        path, flag = sys.argv[1], sys.argv[2]
        fd = os.open(path, os.O_RDWR)
        os.write(fd, b"ping\n")
        got = b""
        while len(got) < 5:
            got += os.read(fd, 5 - len(got))
        result = {}
        def reader():
            try:
                d = os.read(fd, 100)
                result["read"] = "eof" if not d else "data"
            except OSError as e:
                result["read"] = errno.errorcode.get(e.errno, str(e.errno))
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        print("ready", flush=True)
        deadline = time.monotonic() + 30
        while not os.path.exists(flag) and time.monotonic() < deadline:
            time.sleep(0.05)
        t0 = time.monotonic()
        try:
            os.write(fd, b"after the link is gone\n")
            result["write"] = "ok"
        except OSError as e:
            result["write"] = errno.errorcode.get(e.errno, str(e.errno))
        t.join(60)
        result.setdefault("read", "hang")
        result["seconds"] = time.monotonic() - t0
        print(json.dumps(result), flush=True)
        os._exit(0)
        """;

    private NamespaceHolder _ns = null!;
    private NetnsfsMount _m = null!;
    private int _holdPort;
    private int _echoPort;
    private List<string> _baseline = null!;

    [SetUp]
    public void SetUp()
    {
        _ns = new NamespaceHolder();
        _holdPort = Py.StartServer(_ns, Server, "hold");
        _echoPort = Py.StartServer(_ns, Server, "echo");
        // linger=2: a write64 client killed with answered data unsent leaves the daemon sending it
        // to a peer that never reads, for 2 s (then a reset), not for the default 30 s.
        _m = new NetnsfsMount($"netns={_ns.Path},linger=2");
        // Warm-up: a normal exchange and a killed blocked read load what the daemon loads once.
        var warm = Py.Json(Py.EchoClient, TimeSpan.FromSeconds(30), _m[$"tcp/127.0.0.1/{_echoPort}"], "warm-up\n");
        Assert.That(warm.GetProperty("got").GetString(), Is.EqualTo("warm-up\n"));
        KillBlocked("read");
        Assert.That(Await.Eventually(() => Host.Sockets(_m) == 0, TimeSpan.FromSeconds(10)), Is.True, "warm-up released");
        // status drops the socket as RELEASE begins; the fd closes just after: the baseline is
        // taken once the kernel's tables show the daemon holding no TCP socket of the namespace.
        Await.Until(() => ProcNet.TcpSocketsHeld(_m.DaemonPid, $"/proc/{_ns.Pid}/net") == 0, TimeSpan.FromSeconds(10),
            "the daemon to close the warm-up's sockets", () => string.Join(", ", LoadSupport.DaemonFds(_m.DaemonPid)));
        _baseline = LoadSupport.DaemonFds(_m.DaemonPid);
    }

    [TearDown]
    public void TearDown()
    {
        _m?.Dispose();
        _ns?.Dispose();
    }

    /// <summary>Starts a client that blocks in a read or a 64 MiB write, waits until its request is
    /// pending in the daemon, SIGKILLs it; returns how long the kill took to reap.</summary>
    private TimeSpan KillBlocked(string action)
    {
        using var client = StartClient(BlockedClient, [_m[$"tcp/127.0.0.1/{_holdPort}"], action], "the client opened its connection");
        Assert.That(Await.Eventually(() => Host.Sockets(_m) == 1, TimeSpan.FromSeconds(5)), Is.True, "one socket open");
        // The read (or the write, once the socket buffers are full and a write is held behind them)
        // waits in the daemon.
        Await.Until(() => _m.StatusNumber("deferred_requests") == 1 && (action == "read" || _m.StatusNumber("held_writes") > 0), TimeSpan.FromSeconds(20),
            $"the {action} to wait in the daemon", () => $"deferred_requests={_m.StatusNumber("deferred_requests")} held_writes={_m.StatusNumber("held_writes")}");
        Assert.That(client.HasExited, Is.False, $"the {action} blocks");
        var sw = Stopwatch.StartNew();
        client.Kill(entireTree: false);
        Assert.That(client.WaitExit(TimeSpan.FromSeconds(10)), Is.True, "a SIGKILLed client dies even with a request pending");
        return sw.Elapsed;
    }

    /// <summary>A python3 -c client that prints "ready" as its first line once it is where the test
    /// wants it (connected, about to block); the test then breaks something under it. Disposing it
    /// kills it if it still runs, so a failed assertion leaves no client behind.</summary>
    private static Background StartClient(string script, string[] args, string readyMeans)
    {
        var client = new Background(Run.Python3, ["-c", script, .. args]);
        try
        {
            Assert.That(client.WaitLine(_ => true, TimeSpan.FromSeconds(20)), Is.EqualTo("ready"), readyMeans);
        }
        catch
        {
            client.Dispose();
            throw;
        }
        return client;
    }

    [TestCase("read")]
    [TestCase("write64")]
    public void A_client_killed_in_the_middle_of_a_transfer_leaves_nothing_behind(string action)
    {
        var took = KillBlocked(action);
        TestContext.Progress.WriteLine($"SIGKILL during {action}: reaped in {took.TotalMilliseconds:F0} ms");
        LoadSupport.AssertRecovered(_m, _baseline, $"SIGKILL during {action}");
        // The mount still serves.
        var after = Py.Json(Py.EchoClient, TimeSpan.FromSeconds(30), _m[$"tcp/127.0.0.1/{_echoPort}"], "still here\n");
        Assert.That(after.GetProperty("got").GetString(), Is.EqualTo("still here\n"));
        LoadSupport.AssertRecovered(_m, _baseline, "an exchange after the fault");
    }

    [Test]
    public void A_peer_that_resets_reads_as_ECONNRESET()
    {
        int port = Py.StartServer(_ns, Server, "reset");
        var j = Py.Json(ResetClient, TimeSpan.FromSeconds(30), _m[$"tcp/127.0.0.1/{port}"]);
        Assert.That(j.GetProperty("read").GetString(), Is.EqualTo("ECONNRESET"));
        LoadSupport.AssertRecovered(_m, _baseline, "a reset by the peer");
    }

    [Test]
    public void Interfaces_that_vanish_under_an_open_connection_end_its_blocked_read()
    {
        // Two namespaces joined by a veth pair: the mount's and a server's. Addresses are ours alone
        // (they exist only inside these two namespaces).
        using var peer = new NamespaceHolder();
        string id = Host.ShortId();
        string a = "nfzA" + id, b = "nfzB" + id;
        try
        {
            Run.Checked(Run.Process("ip", ["link", "add", a, "type", "veth", "peer", "name", b], TimeSpan.FromSeconds(10)));
            Run.Checked(Run.Process("ip", ["link", "set", a, "netns", LoadSupport.Str(_ns.Pid)], TimeSpan.FromSeconds(10)));
            Run.Checked(Run.Process("ip", ["link", "set", b, "netns", LoadSupport.Str(peer.Pid)], TimeSpan.FromSeconds(10)));
        }
        finally
        {
            Host.DeleteLink(a); // still in the host namespace only if a step failed
            Host.DeleteLink(b);
        }
        Run.Checked(_ns.Exec("ip", "addr", "add", "10.201.77.1/30", "dev", a));
        Run.Checked(_ns.Exec("ip", "link", "set", a, "up"));
        Run.Checked(peer.Exec("ip", "addr", "add", "10.201.77.2/30", "dev", b));
        Run.Checked(peer.Exec("ip", "link", "set", b, "up"));
        // Few retransmissions in the mount's namespace, so that a write into the void fails in
        // seconds instead of the default quarter of an hour.
        Run.Checked(_ns.Exec("sysctl", "-q", "-w", "net.ipv4.tcp_retries2=3"));
        int port = Py.StartServer(peer, Server, "echo", "10.201.77.2");

        using var flagDir = new TempDir("flag");
        string flag = Path.Combine(flagDir.Path, "gone");
        using (var client = StartClient(VanishClient, [_m[$"tcp/10.201.77.2/{port}"], flag], "connected over the veth"))
        {
            Await.Deferred(_m, 1, "the client's read to wait in the daemon");
            Run.Checked(_ns.Exec("ip", "link", "del", a));
            File.WriteAllText(flag, "");
            string last = client.WaitLine(l => l.StartsWith('{'), TimeSpan.FromSeconds(90)); // "the client reported"
            Assert.That(client.WaitExit(TimeSpan.FromSeconds(10)), Is.True);
            using var doc = JsonDocument.Parse(last);
            var j = doc.RootElement;
            TestContext.Progress.WriteLine($"link deleted under a blocked read: {j}");
            Assert.That(j.GetProperty("read").GetString(), Is.AnyOf("ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "eof"), "the blocked read ended with an error or EOF");
        }
        LoadSupport.AssertRecovered(_m, _baseline, "the link vanished");
    }
}
