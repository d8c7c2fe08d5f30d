using System.Globalization;
using System.Text.Json;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Lifetime;

/// <summary>DIR/ns is the namespace itself (nsenter, ip link set ... netns); DIR/net/ is its
/// /proc/net; a namespace attached from /run/netns stays usable after `ip netns del`.</summary>
public sealed class NamespaceIdentityTests
{
    [Test]
    public void Nsenter_through_DIR_ns_enters_the_namespace_status_reports()
    {
        using var m = new NetnsfsMount("create");
        ulong status = ulong.Parse(m.Status["netns_inode"], CultureInfo.InvariantCulture);
        Assert.That(LifetimeKit.InodeSeenThrough(m["ns"]), Is.EqualTo(status));
        Assert.That(status, Is.Not.EqualTo(LifetimeKit.OwnNetnsInode), "a created namespace is not the host's");
    }

    [Test]
    public void A_device_moved_in_through_DIR_ns_shows_in_DIR_net_dev()
    {
        using var m = new NetnsfsMount("create");
        using var veth = new VethPair();
        var devBefore = File.ReadAllText(m["net/dev"]);
        Assert.That(devBefore, Does.Contain("lo:").And.Not.Contain(veth.Peer + ":"));

        var move = veth.MovePeerInto(m["ns"]);
        Assert.That(move.ExitCode, Is.Zero, move.ToString());

        Assert.That(File.ReadAllText(m["net/dev"]), Does.Contain(veth.Peer + ":"), "net/dev is the namespace's /proc/net/dev");
        Assert.That(veth.PeerOnHost, Is.False, "it left the host's namespace");
        Assert.That(File.ReadAllText("/proc/net/dev"), Does.Not.Contain(veth.Peer + ":"));
        var inside = Run.Process("nsenter", [$"--net={m["ns"]}", "--", "ip", "-o", "link", "show", veth.Peer], TimeSpan.FromSeconds(30));
        Assert.That(inside.ExitCode, Is.Zero, inside.ToString());
    }

    private const string AcceptPy = """
        import json, os, sys
        print('ready', flush=True)
        fd = os.open(sys.argv[1], os.O_RDWR)
        data = os.read(fd, 100)
        os.write(fd, b'ack:' + data)
        os.close(fd)
        print(json.dumps(data.decode()), flush=True)
        """;

    private const string ClientPy = """
        import socket
        s = socket.create_connection(('127.0.0.1', 7090), timeout=30)
        s.sendall(b'still here')
        print(s.recv(100).decode())
        """;

    [Test]
    public void A_namespace_attached_from_run_netns_keeps_working_after_ip_netns_del()
    {
        using var tmp = new TempDir("life");
        string name = "nfst" + Guid.NewGuid().ToString("N")[..10];
        try
        {
            Run.Checked(Run.Process("ip", ["netns", "add", name], TimeSpan.FromSeconds(30)));
            Run.Checked(Run.Process("ip", ["-n", name, "link", "set", "lo", "up"], TimeSpan.FromSeconds(30)));
            ulong inode = ulong.Parse(Run.Checked(Run.Process("stat", ["-L", "-c", "%i", $"/run/netns/{name}"])).Stdout.Trim(), CultureInfo.InvariantCulture);

            using var m = new NetnsfsMount($"netns=/run/netns/{name}");
            Assert.That(ulong.Parse(m.Status["netns_inode"], CultureInfo.InvariantCulture), Is.EqualTo(inode));

            Run.Checked(Run.Process("ip", ["netns", "del", name], TimeSpan.FromSeconds(30)));
            Assert.That(Run.Process("ip", ["netns", "list"]).Stdout, Does.Not.Contain(name), "the name is gone");
            Assert.That(File.Exists($"/run/netns/{name}"), Is.False);

            Assert.That(ulong.Parse(m.Status["netns_inode"], CultureInfo.InvariantCulture), Is.EqualTo(inode), "the mount still serves the same namespace");
            Assert.That(LifetimeKit.InodeSeenThrough(m["ns"]), Is.EqualTo(inode), "DIR/ns still enters it");

            string accept = SocketKit.WriteFile(tmp, "accept.py", AcceptPy);
            using var server = new Background(Run.Python3, ["-u", accept, m["tcp/listen/7090"]]);
            server.WaitReady();
            Assert.That(Await.Eventually(() => SocketKit.Ls(m["tcp/listen"]).Contains("7090"), TimeSpan.FromSeconds(30)), Is.True, server.ToString());
            var client = SocketKit.PythonIn(m["ns"], tmp, ClientPy);
            Assert.That(client.ExitCode, Is.Zero, client.ToString());
            Assert.That(client.Stdout.Trim(), Is.EqualTo("ack:still here"));
            var line = server.WaitLine(l => l.StartsWith('"'), TimeSpan.FromSeconds(30));
            Assert.That(JsonSerializer.Deserialize<string>(line), Is.EqualTo("still here"));
        }
        finally
        {
            if (File.Exists($"/run/netns/{name}"))
                Run.Process("ip", ["netns", "del", name], TimeSpan.FromSeconds(30));
        }
    }
}
