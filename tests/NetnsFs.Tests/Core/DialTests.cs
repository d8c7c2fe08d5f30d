using System.Text;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Core;

/// <summary>Dial paths (tcp/HOST/PORT, udp/HOST/PORT) reach servers of the mount's namespace, and
/// only of it.</summary>
public sealed class DialTests
{
    [TestCase("127.0.0.1")]
    [TestCase("::1")]
    [TestCase("localhost")]
    public void Echo_through_tcp_path_to_a_server_in_an_attached_namespace(string host)
    {
        using var ns = new NamespaceHolder();
        int port = Py.StartServer(ns, Py.TcpEcho);
        using var m = new NetnsfsMount($"netns={ns.Path}");
        Assert.That(m.Status["origin"], Is.EqualTo(ns.Path));
        var inode = new FileInfo(ns.Path).ResolveLinkTarget(false)!.Name; // "net:[INODE]"
        Assert.That(inode, Is.EqualTo($"net:[{m.Status["netns_inode"]}]"), "the mount is the attached namespace");

        var j = Py.Json(Py.EchoClient, TimeSpan.FromSeconds(30), m[$"tcp/{host}/{port}"], $"hello from {host}\n");
        Assert.That(j.GetProperty("written").GetInt32(), Is.EqualTo($"hello from {host}\n".Length));
        Assert.That(j.GetProperty("got").GetString(), Is.EqualTo($"hello from {host}\n"));
        Assert.That(Await.Eventually(() => Host.Sockets(m) == 0, TimeSpan.FromSeconds(2)), Is.True, "the connection is released on close");
    }

    [Test]
    public void Echo_from_bash_with_exec_redirection()
    {
        using var ns = new NamespaceHolder();
        int port = Py.StartServer(ns, Py.TcpEcho);
        using var m = new NetnsfsMount($"netns={ns.Path}");
        var r = Run.Bash($"""
            set -e
            exec 3<>'{m.Dir}/tcp/127.0.0.1/{port}'
            echo hi >&3
            read -r line <&3
            echo "got:$line"
            printf 'two\nthree\n' >&3
            read -r a <&3
            read -r b <&3
            echo "got:$a,$b"
            exec 3>&-
            """, TimeSpan.FromSeconds(20));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout, Is.EqualTo("got:hi\ngot:two,three\n"));
    }

    private const string OpenAndReadLine = $$"""
        import errno, json, os, sys
        {{PyFunctions.ReadLine}}
        try:
            fd = os.open(sys.argv[1], os.O_RDWR)
        except OSError as e:
            print(json.dumps({"open": errno.errorcode[e.errno]}))
            sys.exit(0)
        got = read_line(fd)
        os.close(fd)
        print(json.dumps({"open": "ok", "got": got.decode()}))
        """;

    [Test]
    public void A_created_namespace_cannot_reach_the_hosts_loopback()
    {
        using var listener = Host.HostListener();
        int port = Host.PortOf(listener);
        var served = Task.Run(async () =>
        {
            // Answers whoever does connect: the control mount below, never the created one.
            using var c = await listener.AcceptTcpClientAsync();
            await c.GetStream().WriteAsync(Encoding.ASCII.GetBytes("host\n"));
        });

        using (var created = new NetnsfsMount("create"))
        {
            var j = Py.Json(OpenAndReadLine, TimeSpan.FromSeconds(20), created[$"tcp/127.0.0.1/{port}"]);
            Assert.That(j.GetProperty("open").GetString(), Is.EqualTo("ECONNREFUSED"), "127.0.0.1 of a new namespace is its own loopback");
            Assert.That(served.IsCompleted, Is.False, "nothing reached the host's listener");
            Assert.That(created.DaemonAlive, Is.True);
        }

        // Control: the listener is reachable, and a mount of the current namespace reaches it.
        using (var current = new NetnsfsMount("defaults"))
        {
            Assert.That(current.Status["origin"], Is.EqualTo("current"));
            var j = Py.Json(OpenAndReadLine, TimeSpan.FromSeconds(20), current[$"tcp/127.0.0.1/{port}"]);
            Assert.That(j.GetProperty("open").GetString(), Is.EqualTo("ok"));
            Assert.That(j.GetProperty("got").GetString(), Is.EqualTo("host\n"));
        }
        Assert.That(served.Wait(TimeSpan.FromSeconds(5)), Is.True);
    }

    private const string UdpClient = """
        import json, os, random, sys
        path = sys.argv[1]
        sizes = [int(s) for s in sys.argv[2].split(",")]
        rnd = random.Random(7)
        payloads = [rnd.randbytes(n) for n in sizes]
        fd = os.open(path, os.O_RDWR)
        out = {"one_by_one": [], "batched": []}
        # one datagram out, one back
        for p in payloads:
            w = os.write(fd, p)
            d = os.read(fd, 65536)
            out["one_by_one"].append([w, len(d), d == p])
        # all out first: each read still returns exactly one datagram, in order
        for p in payloads:
            os.write(fd, p)
        for p in payloads:
            d = os.read(fd, 65536)
            out["batched"].append([len(p), len(d), d == p])
        os.close(fd)
        print(json.dumps(out))
        """;

    [Test]
    public void Udp_writes_keep_datagram_boundaries()
    {
        int[] sizes = [1, 100, 1400, 60000];
        using var ns = new NamespaceHolder();
        int port = Py.StartServer(ns, Py.UdpEcho);
        using var m = new NetnsfsMount($"netns={ns.Path}");
        var j = Py.Json(UdpClient, TimeSpan.FromSeconds(30), m[$"udp/127.0.0.1/{port}"], string.Join(',', sizes));

        var oneByOne = j.GetProperty("one_by_one").EnumerateArray().ToList();
        var batched = j.GetProperty("batched").EnumerateArray().ToList();
        Assert.Multiple(() =>
        {
            for (int i = 0; i < sizes.Length; i++)
            {
                var o = oneByOne[i].EnumerateArray().ToList();
                Assert.That(o[0].GetInt32(), Is.EqualTo(sizes[i]), $"write of {sizes[i]} bytes: all of it in one datagram");
                Assert.That(o[1].GetInt32(), Is.EqualTo(sizes[i]), $"read after a {sizes[i]}-byte datagram");
                Assert.That(o[2].GetBoolean(), Is.True, $"content of the {sizes[i]}-byte datagram");
                var b = batched[i].EnumerateArray().ToList();
                Assert.That(b[1].GetInt32(), Is.EqualTo(sizes[i]), $"queued datagram {i}: one read returns exactly it");
                Assert.That(b[2].GetBoolean(), Is.True, $"content of queued datagram {i}");
            }
        });
    }

    [Test]
    public void A_refused_tcp_dial_keeps_its_errno_and_a_udp_dial_needs_no_listener()
    {
        using var m = new NetnsfsMount("create");
        var j = Py.Json(OpenAndReadLine, TimeSpan.FromSeconds(20), m["tcp/127.0.0.1/65535"]);
        Assert.That(j.GetProperty("open").GetString(), Is.EqualTo("ECONNREFUSED"));
        // Connected UDP: open succeeds; the ICMP port-unreachable comes back on the next read.
        var r = Run.Python("""
            import errno, os, sys
            fd = os.open(sys.argv[1], os.O_RDWR)
            os.write(fd, b"x")
            try:
                os.read(fd, 10)
                print("read ok")
            except OSError as e:
                print(errno.errorcode[e.errno])
            """, TimeSpan.FromSeconds(20), m["udp/127.0.0.1/9"]);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Trim(), Is.EqualTo("ECONNREFUSED"));
        Assert.That(Await.Eventually(() => Host.Sockets(m) == 0, TimeSpan.FromSeconds(2)), Is.True);
    }

    private const string OpenOnly = """
        import errno, os, sys
        try:
            os.close(os.open(sys.argv[1], os.O_RDWR))
            print("connected")
        except OSError as e:
            print(errno.errorcode[e.errno])
        """;

    /// <summary>A HOST component is an address and nothing else: "[::1]:9" names no host. It must
    /// be refused like any malformed host, not dialled at the directory's PORT with ":9" dropped.</summary>
    [TestCase("[::1]:9")]
    [TestCase("127.0.0.1:9")]
    public void A_host_carrying_its_own_port_is_refused_not_dialled(string host)
    {
        using var ns = new NamespaceHolder();
        int port = Py.StartServer(ns, Py.TcpEcho);
        using var m = new NetnsfsMount($"netns={ns.Path}");
        var r = Run.Python(OpenOnly, TimeSpan.FromSeconds(20), m[$"tcp/{host}/{port}"]);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Trim(), Is.AnyOf("ENOENT", "EINVAL"),
            $"tcp/{host}/{port} must not connect to port {port}");
    }
}
