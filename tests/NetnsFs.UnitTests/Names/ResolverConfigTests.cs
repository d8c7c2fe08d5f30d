using System.Net;
using NetnsFs.Net.Names;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Names;

/// <summary>resolv.conf and hosts files read from strings: what a namespace's lookups are sent to,
/// how long each try waits, and which names never leave the hosts file.</summary>
[TestFixture]
public sealed class ResolverConfigTests
{
    private static ResolverConfig Parse(string resolvConf) => ResolverConfig.Parse("/hosts", resolvConf.Split('\n'));

    [Test]
    public void Defaults_with_no_resolv_conf_are_no_servers_two_seconds_a_try_two_attempts()
    {
        var c = Parse("");
        Assert.That((c.Nameservers.Count, c.Timeout, c.Attempts, c.HostsPath), Is.EqualTo((0, TimeSpan.FromSeconds(2), 2, "/hosts")));
    }

    [Test]
    public void Nameservers_in_order_IPv4_and_IPv6_bad_ones_and_comments_skipped()
    {
        var c = Parse("""
            # written by hand
            search netnsfs.test
            nameserver 10.0.0.53   # the first
            nameserver not-an-address
            ;nameserver 10.9.9.9
            nameserver	fd00::53
            """);
        Assert.That(c.Nameservers, Is.EqualTo(new[] { IPAddress.Parse("10.0.0.53"), IPAddress.Parse("fd00::53") }));
    }

    [Test]
    public void At_most_three_nameservers_as_glibc()
    {
        var c = Parse("nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n");
        Assert.That(c.Nameservers.Select(a => a.ToString()), Is.EqualTo(new[] { "10.0.0.1", "10.0.0.2", "10.0.0.3" }));
    }

    [Test]
    public void Options_timeout_is_per_try_and_attempts_count_rounds()
    {
        var c = Parse("nameserver 127.0.0.53\noptions rotate timeout:1.5 attempts:3 ndots:2\n");
        Assert.That((c.Timeout, c.Attempts), Is.EqualTo((TimeSpan.FromSeconds(1.5), 3)));
    }

    [TestCase("timeout:0", 0.1, TestName = "Timeout_is_at_least_a_tenth_of_a_second")]
    [TestCase("timeout:30", 5.0, TestName = "Timeout_is_at_most_MaxTimeout")]
    [TestCase("timeout:x", 2.0, TestName = "Timeout_that_is_not_a_number_keeps_the_default")]
    public void Timeout_is_clamped(string option, double seconds) =>
        Assert.That(Parse("options " + option).Timeout, Is.EqualTo(TimeSpan.FromSeconds(seconds)));

    [Test]
    public void MaxTimeout_bounds_one_try()
    {
        Assert.That(Parse("options timeout:999").Timeout, Is.EqualTo(ResolverConfig.MaxTimeout));
    }

    [TestCase("attempts:0", 1)]
    [TestCase("attempts:9", 3)]
    [TestCase("attempts:-1", 2)]
    public void Attempts_are_clamped(string option, int attempts) =>
        Assert.That(Parse("options " + option).Attempts, Is.EqualTo(attempts));

    [Test]
    public void Options_on_several_lines_the_last_wins()
    {
        var c = Parse("options timeout:1\noptions timeout:3 attempts:1\n");
        Assert.That((c.Timeout, c.Attempts), Is.EqualTo((TimeSpan.FromSeconds(3), 1)));
    }

    private const string Hosts = """
        127.0.0.1	localhost
        ::1	localhost ip6-localhost
        # 10.0.0.1 commented.test
        10.0.0.2 fromhosts.netnsfs.test alias.netnsfs.test   # two names
        10.0.0.3 fromhosts.netnsfs.test
        not-an-ip broken.test
        fd00::7 six.netnsfs.test
        lonely.test
        """;

    [TestCase("fromhosts.netnsfs.test", "10.0.0.2", TestName = "Hosts_gives_the_first_line_that_names_it")]
    [TestCase("ALIAS.netnsfs.test", "10.0.0.2", TestName = "Hosts_aliases_match_case_insensitively")]
    [TestCase("six.netnsfs.test", "fd00::7", TestName = "Hosts_IPv6_lines")]
    [TestCase("localhost", "127.0.0.1", TestName = "Hosts_localhost")]
    public void Hosts_lines(string name, string address) =>
        Assert.That(ResolverConfig.FindInHosts(Hosts.Split('\n'), name), Is.EqualTo(IPAddress.Parse(address)));

    [TestCase("commented.test", TestName = "Hosts_comments_are_not_read")]
    [TestCase("broken.test", TestName = "Hosts_lines_without_an_address_are_skipped")]
    [TestCase("lonely.test", TestName = "Hosts_a_line_of_one_word_is_skipped")]
    [TestCase("netnsfs.test", TestName = "Hosts_names_match_whole")]
    public void Hosts_misses(string name) =>
        Assert.That(ResolverConfig.FindInHosts(Hosts.Split('\n'), name), Is.Null);

    [Test]
    public void A_hosts_file_that_cannot_be_read_gives_nothing()
    {
        var c = ResolverConfig.Parse("/nonexistent/netnsfs-unit/hosts", []);
        Assert.That(c.FromHostsFile("localhost"), Is.Null);
    }
}
