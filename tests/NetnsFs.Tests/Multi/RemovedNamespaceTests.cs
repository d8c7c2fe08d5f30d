using NetnsFs.Tests.Security;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Multi;

/// <summary>Issue 17: removing a namespace while requests in it are under way fails those requests
/// with an errno; it never takes the daemon (every user's mount) down.</summary>
public sealed class RemovedNamespaceTests
{
    private const string DialOnce = """
        import os, sys
        print("dialing", flush=True)
        try:
            fd = os.open(sys.argv[1], os.O_RDWR)
            print("opened", flush=True)
        except OSError as e:
            print("errno", e.errno, flush=True)
        """;

    [Test]
    public void Nobody_removing_a_namespace_during_a_pending_name_lookup_does_not_crash_the_daemon()
    {
        using var tmp = new TempDir("rmns");
        // A nameserver inside the namespace that reads every query and answers none: the lookup
        // stays pending on its timer.
        string resolv = SocketKit.WriteFile(tmp, "resolv.conf", "nameserver 127.0.0.53\noptions timeout:2 attempts:3\n");
        using var m = new NetnsfsMount($"multi,allow_other,mode=0777,resolv={resolv}");
        Run.Checked(AsUser.Command(AsUser.Nobody, "mkdir", m["h"]));
        using var dns = SocketKit.StartServers(m["h/ns"], tmp, "dnssilent");

        using var dial = AsUser.Start(AsUser.Nobody, DialOnce, m["h/tcp/never.netnsfs.test/80"]);
        dns.WaitLine(l => l.StartsWith("query never.netnsfs.test", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        var rm = AsUser.Command(AsUser.Nobody, "rmdir", m["h"]);
        Assert.That(rm.ExitCode, Is.Zero, rm.ToString());

        // The lookup's next timer finds the namespace gone: the open answers, the daemon lives on.
        string answer = dial.WaitLine(l => l.StartsWith("errno", StringComparison.Ordinal) || l == "opened", TimeSpan.FromSeconds(30));
        Assert.Multiple(() =>
        {
            Assert.That(m.DaemonAlive, Is.True, "the daemon survived the removal");
            Assert.That(answer, Is.EqualTo("errno 2"), "the pending open fails with ENOENT: its namespace is gone");
        });
        Assert.That(SocketKit.Ls(m.Dir), Is.EquivalentTo(new[] { "status" }), "the mount still answers");
        Directory.CreateDirectory(m["again"]);
        Assert.That(File.ReadAllText(m["again/net/dev"]), Does.Contain("lo:"), "and still makes namespaces");
    }
}
