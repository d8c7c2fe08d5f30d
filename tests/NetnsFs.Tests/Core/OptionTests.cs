using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Core;

/// <summary>Mount options that cannot work are refused before anything is mounted: exit 2 for a
/// command line that is wrong, exit 1 for a namespace that is not one; always with a message.</summary>
public sealed class OptionTests
{
    private static void AssertRefused(string options, int exitCode, params string[] messageParts)
    {
        using var dir = new TempDir("mountpoint");
        var r = Run.Process(Netnsfs.Binary, ["netnsfs", dir.Path, "-o", options], TimeSpan.FromSeconds(30));
        try
        {
            Assert.Multiple(() =>
            {
                Assert.That(r.ExitCode, Is.EqualTo(exitCode), r.ToString());
                Assert.That(r.Stderr, Does.StartWith("netnsfs: "), "one message on stderr");
                foreach (var part in messageParts)
                    Assert.That(r.Stderr, Does.Contain(part), "the message names the problem");
                Assert.That(Mounts.IsMounted(dir.Path), Is.False, "nothing mounted");
                Assert.That(Host.DaemonsFor(dir.Path), Is.Empty, "no daemon left behind");
                Assert.That(r.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
            });
        }
        finally
        {
            if (Mounts.IsMounted(dir.Path))
                Mounts.Detach(dir.Path);
        }
    }

    [TestCase("bogus", "'bogus'")]
    [TestCase("create,bogus=1", "'bogus=1'")]
    [TestCase("create,Create", "'Create'")]
    [TestCase("create,max_bogus=1", "'max_bogus=1'")]
    [TestCase("create,mount_max_=1", "'mount_max_=1'")]
    public void An_unknown_option_exits_2_with_a_message(string options, string named) =>
        AssertRefused(options, 2, "unknown mount option", named);

    [Test]
    public void Netns_pointing_at_a_regular_file_exits_1_and_mounts_nothing() =>
        AssertRefused("netns=/etc/passwd", 1, "/etc/passwd", "not a namespace");

    [Test]
    public void Netns_pointing_at_another_kind_of_namespace_exits_1() =>
        AssertRefused("netns=/proc/self/ns/uts", 1, "/proc/self/ns/uts", "not a network namespace");

    [Test]
    public void Netns_pointing_at_nothing_exits_1()
    {
        using var tmp = new TempDir("options");
        string missing = Path.Combine(tmp.Path, "no-such-namespace");
        AssertRefused($"netns={missing}", 1, missing);
    }

    [Test]
    public void Create_and_netns_together_exit_2()
    {
        using var ns = new NamespaceHolder();
        AssertRefused($"create,netns={ns.Path}", 2, "create", "netns");
    }

    [TestCase("netns=")]
    [TestCase("create=yes")]
    [TestCase("mode=999")]
    [TestCase("uid=-1")]
    [TestCase("multi,spares=x")]
    [TestCase("multi,spares=1001")]
    [TestCase("create,linger=x")]
    [TestCase("create,linger=3601")]
    [TestCase("create,stop_timeout=3601")]
    [TestCase("create,stop_timeout=-1")]
    [TestCase("create,max_sockets=0")]
    [TestCase("create,mount_max_held=x")]
    [TestCase("create,max_listeners=")]
    [TestCase("create,handoff_idle=0")]
    public void A_malformed_option_value_exits_2(string options) =>
        AssertRefused(options, 2, options.Split(',')[^1].Split('=')[0]);

    [Test]
    public void Spares_without_multi_exits_2() =>
        AssertRefused("create,spares=2", 2, "spares=", "multi");
}
