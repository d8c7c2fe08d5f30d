using System.Net.Sockets;
using System.Text;
using NetnsFs.Client;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Handoff;

/// <summary>A handoff client that goes away while its request is still being served (a name lookup
/// whose nameserver never answers) harms nobody else.</summary>
public sealed class RobustnessTests
{
    private const string AskAndLeavePy = """
        import socket, sys, time
        c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        c.connect(sys.argv[1] + '/handoff')
        c.send(b'tcp/never.netnsfs.test/80')
        time.sleep(float(sys.argv[2]))
        c.close()
        print('left', flush=True)
        """;

    private static NetnsfsMount SilentDnsMount(TempDir tmp, string timeout, string attempts) =>
        new($"create,hosts={SocketKit.WriteFile(tmp, "hosts", "")},resolv={SocketKit.WriteFile(tmp, "resolv.conf", $"nameserver 127.0.0.53\noptions timeout:{timeout} attempts:{attempts}\n")}");

    [Test]
    public void The_daemon_keeps_serving_after_a_client_disconnects_mid_request()
    {
        using var tmp = new TempDir("hand");
        using var m = SilentDnsMount(tmp, "2", "2");
        string tag = "alive-" + m.Status["netns_inode"];
        using var servers = SocketKit.StartServers(m["ns"], tmp, "dnssilent", $"id,127.0.0.1,7500,{tag}");

        var left = SocketKit.Python(tmp, AskAndLeavePy, m.Dir, "0.7");
        Assert.That(left.Stdout, Does.Contain("left"), left.ToString());
        Assert.That(servers.Lines, Does.Contain("query never.netnsfs.test 1"), "the request was in flight (its lookup reached the namespace's DNS server)");

        Assert.That(m.DaemonAlive, Is.True);
        using (var s = NetnsSocket.Open(m.Dir, "tcp/127.0.0.1/7500"))
            Assert.That(Replies.ReadAll(s), Is.EqualTo(tag), "a later handoff is served");

        // Several requests on one connection, the first refused.
        using (var conn = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified))
        {
            conn.Connect(new UnixDomainSocketEndPoint(m["handoff"]));
            var refused = Assert.Throws<NetnsSocketException>(() => NetnsSocket.Request(conn, "tcp/127.0.0.1/7599"));
            Assert.That(refused!.Errno, Is.EqualTo(111));
            int fd = NetnsSocket.Request(conn, "tcp/127.0.0.1/7500");
            using var s = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
            Assert.That(Replies.ReadAll(s), Is.EqualTo(tag));
        }

        // And the filesystem side too.
        using (var f = new FileStream(m["tcp/127.0.0.1/7500"], FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None))
        {
            var buf = new byte[100];
            int n = f.Read(buf, 0, buf.Length);
            Assert.That(Encoding.UTF8.GetString(buf, 0, n).TrimEnd('\n'), Is.EqualTo(tag));
        }
        Assert.That(m.DaemonAlive, Is.True);
    }

    /// <summary>The rem_address column of /proc/net/udp lines: "3500007F:0035" is 127.0.0.53:53.</summary>
    private static int SocketsTo53(NetnsfsMount m) =>
        File.ReadAllLines(m["net/udp"]).Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(f => f.Length > 2 && f[2] == "3500007F:0035");

    [Test]
    public void A_client_that_disconnects_mid_request_cancels_its_lookup()
    {
        using var tmp = new TempDir("hand");
        using var m = SilentDnsMount(tmp, "2", "3"); // queries at 0, 2 and 4 s unless cancelled
        using var servers = SocketKit.StartServers(m["ns"], tmp, "dnssilent");

        var left = SocketKit.Python(tmp, AskAndLeavePy, m.Dir, "0.5");
        Assert.That(left.Stdout, Does.Contain("left"), left.ToString());
        var queries = () => servers.Lines.Count(l => l == "query never.netnsfs.test 1");
        Assert.That(queries(), Is.EqualTo(1), "the request was in flight when its client left");

        bool closed = Await.Eventually(() => SocketsTo53(m) == 0, TimeSpan.FromSeconds(1));
        // A sleep on purpose: the retries would go at 2 and 4 s; what is checked is that none comes,
        // and "no query" has no event to wait for.
        Thread.Sleep(TimeSpan.FromSeconds(4));
        Assert.Multiple(() =>
        {
            Assert.That(closed, Is.True, "the lookup's UDP socket in the namespace is closed within 1 s of the client leaving");
            Assert.That(queries(), Is.EqualTo(1), "no retries are sent for a client that is gone");
        });
        Assert.That(m.DaemonAlive, Is.True);
    }
}
