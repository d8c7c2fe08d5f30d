using System.Globalization;
using System.Text.Json;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Sockets;

/// <summary>tcp/listen and unix/listen: a listener made by the first open, one accept per open,
/// kept between opens, listed, removed by rm. Clients run inside the mount's namespace.</summary>
public sealed class ListenerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private const string ManyClientsPy = """
        import concurrent.futures, json, socket, sys
        n, port = int(sys.argv[1]), int(sys.argv[2])
        def one(i):
            host = '127.0.0.1' if i % 2 == 0 else '::1'
            with socket.create_connection((host, port), timeout=60) as s:
                s.sendall(b'client-%d\n' % i)
                buf = b''
                while not buf.endswith(b'\n'):
                    d = s.recv(100)
                    if not d:
                        break
                    buf += d
                return buf.decode()
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            replies = list(ex.map(one, range(n)))
        print(json.dumps(replies))
        """;

    [Test]
    public void A_bash_while_loop_on_a_listen_path_answers_100_clients_from_inside_the_namespace()
    {
        using var tmp = new TempDir("sock");
        using var m = new NetnsfsMount("create");
        const string server = """
            M=$1; n=0
            while [ "$n" -lt 100 ]; do
              exec 5<>"$M/tcp/listen/7000" || { echo "open failed at $n"; exit 1; }
              IFS= read -r line <&5 || { echo "read failed at $n"; exit 1; }
              printf 'echo:%s:%d\n' "$line" "$n" >&5
              exec 5>&-
              n=$((n+1))
            done
            echo "served $n"
            """;
        using var bash = new Background("/bin/bash", ["-c", server, "server", m.Dir]);
        Assert.That(Await.Eventually(() => SocketKit.Ls(m["tcp/listen"]).Contains("7000"), Wait), Is.True,
            $"the first open makes the listener, listed under tcp/listen:\n{bash}");

        var replies = SocketKit.Json(SocketKit.PythonIn(m["ns"], tmp, ManyClientsPy, "100", "7000"))
            .EnumerateArray().Select(e => e.GetString()!).ToList();

        Assert.That(replies, Has.Count.EqualTo(100));
        var served = new HashSet<int>();
        for (int i = 0; i < replies.Count; i++)
        {
            Assert.That(replies[i], Does.StartWith($"echo:client-{i}:"), $"client {i} (over {(i % 2 == 0 ? "IPv4" : "IPv6")}) gets its own line back");
            served.Add(int.Parse(replies[i].TrimEnd('\n').Split(':')[2], CultureInfo.InvariantCulture));
        }
        Assert.That(served, Is.EquivalentTo(Enumerable.Range(0, 100)), "each open of the loop accepted exactly one client");
        Assert.That(bash.WaitExit(Wait), Is.True, bash.ToString());
        Assert.That(bash.ExitCode, Is.Zero, bash.ToString());
        Assert.That(bash.Lines, Does.Contain("served 100"));
        Assert.That(m.Status["listeners"], Is.EqualTo("1"), "the listener outlives the loop's opens");
        Assert.That(Await.Eventually(() => m.Status["sockets"] == "0", TimeSpan.FromSeconds(5)), Is.True, "every accepted socket was closed");
    }

    private const string NonBlockingAcceptPy = """
        import errno, json, os, sys, time
        path = sys.argv[1]
        t = time.monotonic()
        try:
            fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
            os.close(fd)
            result = 'opened'
        except OSError as e:
            result = errno.errorcode.get(e.errno, str(e.errno))
        print(json.dumps({'result': result, 'ms': (time.monotonic() - t) * 1000}))
        """;

    private const string AcceptOnceNonBlockingPy = """
        import errno, json, os, sys, time
        path = sys.argv[1]
        deadline = time.monotonic() + 10
        tries = 0
        while True:
            tries += 1
            try:
                fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    print(json.dumps({'result': 'EAGAIN forever'}))
                    sys.exit(0)
                time.sleep(0.05)
        os.set_blocking(fd, True)
        data = os.read(fd, 100)
        os.write(fd, b'accepted:' + data)
        os.close(fd)
        print(json.dumps({'result': 'accepted', 'data': data.decode(), 'tries': tries}))
        """;

    private const string ConnectAndWaitPy = """
        import socket, sys
        s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=30)
        s.sendall(b'hello')
        print('ready', flush=True)
        print('reply ' + s.recv(100).decode(), flush=True)
        """;

    [Test]
    public void A_non_blocking_open_of_a_listen_path_answers_EAGAIN_without_a_client_and_accepts_one_that_waits()
    {
        using var tmp = new TempDir("sock");
        using var m = new NetnsfsMount("create");

        var first = SocketKit.Json(SocketKit.Python(tmp, NonBlockingAcceptPy, m["tcp/listen/7001"]));
        Assert.That(first.GetProperty("result").GetString(), Is.EqualTo("EAGAIN"), "no client queued: O_NONBLOCK accept fails at once");
        Assert.That(first.GetProperty("ms").GetDouble(), Is.LessThan(2000), "and does not wait");
        Assert.That(SocketKit.Ls(m["tcp/listen"]), Does.Contain("7001"), "the EAGAIN open still made the listener");

        var again = SocketKit.Json(SocketKit.Python(tmp, NonBlockingAcceptPy, m["tcp/listen/7001"]));
        Assert.That(again.GetProperty("result").GetString(), Is.EqualTo("EAGAIN"), "the listener exists but its queue is empty");

        string clientScript = SocketKit.WriteFile(tmp, "client.py", ConnectAndWaitPy);
        using var client = new Background("nsenter", [$"--net={m["ns"]}", "--", Run.Python3, "-u", clientScript, "7001"]);
        client.WaitReady();
        var accepted = SocketKit.Json(SocketKit.Python(tmp, AcceptOnceNonBlockingPy, m["tcp/listen/7001"]));
        Assert.That(accepted.GetProperty("result").GetString(), Is.EqualTo("accepted"));
        Assert.That(accepted.GetProperty("data").GetString(), Is.EqualTo("hello"));
        client.WaitLine(l => l.StartsWith("reply", StringComparison.Ordinal), Wait);
        Assert.That(client.Lines, Does.Contain("reply accepted:hello"));
    }

    private const string BlockedAcceptPy = """
        import errno, json, os, sys, time
        print('ready', flush=True)
        t = time.monotonic()
        try:
            fd = os.open(sys.argv[1], os.O_RDWR)
            os.close(fd)
            result = 'opened'
        except OSError as e:
            result = errno.errorcode.get(e.errno, str(e.errno))
        print(json.dumps({'result': result, 'ms': (time.monotonic() - t) * 1000}), flush=True)
        """;

    private const string TryConnectPy = """
        import errno, json, socket, sys
        try:
            socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10).close()
            print(json.dumps('connected'))
        except OSError as e:
            print(json.dumps(errno.errorcode.get(e.errno, str(e))))
        """;

    [Test]
    public void Rm_of_a_listen_path_closes_the_listener_and_aborts_a_waiting_open()
    {
        using var tmp = new TempDir("sock");
        using var m = new NetnsfsMount("create");
        string blocked = SocketKit.WriteFile(tmp, "blocked.py", BlockedAcceptPy);
        using var waiter = new Background(Run.Python3, ["-u", blocked, m["tcp/listen/7002"]]);
        waiter.WaitReady();
        Assert.That(Await.Eventually(() => SocketKit.Ls(m["tcp/listen"]).Contains("7002"), Wait), Is.True, "listed while it listens");
        Assert.That(SocketKit.Json(SocketKit.PythonIn(m["ns"], tmp, TryConnectPy, "::1", "7003")).GetString(), Is.EqualTo("ECONNREFUSED"), "a port nobody listens on is refused (sanity)");
        Await.Deferred(m, 1, "the blocking open of tcp/listen/7002 to wait in the daemon for a client");

        var rm = Run.Process("rm", [m["tcp/listen/7002"]], Wait);
        Assert.That(rm.ExitCode, Is.Zero, rm.ToString());

        var line = waiter.WaitLine(l => l.StartsWith('{'), TimeSpan.FromSeconds(5));
        using (var doc = JsonDocument.Parse(line))
            Assert.That(doc.RootElement.GetProperty("result").GetString(), Is.EqualTo("ECONNABORTED"), "the open waiting on the removed listener is told so");
        Assert.That(SocketKit.Ls(m["tcp/listen"]), Does.Not.Contain("7002"), "gone from the listing");
        Assert.That(m.Status["listeners"], Is.EqualTo("0"));
        Assert.That(SocketKit.Json(SocketKit.PythonIn(m["ns"], tmp, TryConnectPy, "127.0.0.1", "7002")).GetString(), Is.EqualTo("ECONNREFUSED"),
            "the socket is really closed in the namespace");
        var again = Run.Process("rm", [m["tcp/listen/7002"]], Wait);
        Assert.That(again.ExitCode, Is.Not.Zero, "a second rm finds nothing to remove");
    }

    [Test]
    public void Port_0_makes_a_listener_on_a_free_port_listed_under_its_real_port()
    {
        using var tmp = new TempDir("sock");
        using var m = new NetnsfsMount("create");
        var first = SocketKit.Json(SocketKit.Python(tmp, NonBlockingAcceptPy, m["tcp/listen/0"]));
        Assert.That(first.GetProperty("result").GetString(), Is.EqualTo("EAGAIN"));

        var ports = SocketKit.Ls(m["tcp/listen"]);
        Assert.That(ports, Has.Count.EqualTo(1), "one listener, under its real port");
        Assert.That(ports[0], Is.Not.EqualTo("0"));
        int port = int.Parse(ports[0], CultureInfo.InvariantCulture);
        Assert.That(port, Is.InRange(1, 65535));
        Assert.That(File.ReadAllText(m["net/tcp6"]).ToUpperInvariant(), Does.Contain($":{port:X4} 00000000000000000000000000000000:0000 0A"),
            "the namespace has a socket listening on that port");

        string client = SocketKit.WriteFile(tmp, "client.py", ConnectAndWaitPy);
        using var c = new Background("nsenter", [$"--net={m["ns"]}", "--", Run.Python3, "-u", client, ports[0]]);
        c.WaitReady();
        var accepted = SocketKit.Json(SocketKit.Python(tmp, AcceptOnceNonBlockingPy, m[$"tcp/listen/{port}"]));
        Assert.That(accepted.GetProperty("result").GetString(), Is.EqualTo("accepted"), "the real port's path accepts from that listener");
        Assert.That(accepted.GetProperty("data").GetString(), Is.EqualTo("hello"));

        var second = SocketKit.Json(SocketKit.Python(tmp, NonBlockingAcceptPy, m["tcp/listen/0"]));
        Assert.That(second.GetProperty("result").GetString(), Is.EqualTo("EAGAIN"));
        var after = SocketKit.Ls(m["tcp/listen"]);
        Assert.That(after, Has.Count.EqualTo(2), "each open of port 0 makes a new listener");
        Assert.That(after, Does.Contain(ports[0]).And.Not.Contain("0"));
    }

    private const string UnixClientPy = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect('\0' + sys.argv[1])
        s.sendall(b'ping from inside')
        print('reply ' + s.recv(100).decode(), flush=True)
        """;

    private const string UnixAcceptPy = """
        import json, os, sys
        fd = os.open(sys.argv[1], os.O_RDWR)
        data = os.read(fd, 100)
        os.write(fd, b'pong:' + data)
        os.close(fd)
        print(json.dumps(data.decode()))
        """;

    [Test]
    public void Unix_listen_accepts_a_client_started_inside_the_namespace()
    {
        using var tmp = new TempDir("sock");
        using var m = new NetnsfsMount("create");
        string name = SocketKit.UniqueName("netnsfs-l-");
        string acceptScript = SocketKit.WriteFile(tmp, "accept.py", UnixAcceptPy);
        using var server = new Background(Run.Python3, ["-u", acceptScript, m[$"unix/listen/@{name}"]]);
        Assert.That(Await.Eventually(() => SocketKit.Ls(m["unix/listen"]).Contains("@" + name), Wait), Is.True, $"listed under unix/listen:\n{server}");

        var client = SocketKit.PythonIn(m["ns"], tmp, UnixClientPy, name);
        Assert.That(client.ExitCode, Is.Zero, client.ToString());
        Assert.That(client.Stdout, Does.Contain("reply pong:ping from inside"));
        Assert.That(server.WaitExit(Wait), Is.True, server.ToString());
        Assert.That(server.ExitCode, Is.Zero, server.ToString());

        var outside = SocketKit.Python(tmp, "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n  s.connect('\\0'+sys.argv[1]); print('connected')\nexcept OSError as e: print(e.errno)\n", name);
        Assert.That(outside.Stdout.Trim(), Is.EqualTo("111"), "the abstract name exists only in the mount's namespace (ECONNREFUSED outside)");
    }
}
