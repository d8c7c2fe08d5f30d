using System.Net;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Interop;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Paths;

/// <summary>The HOST and PORT components of dial and listen paths.</summary>
public class HostNameTests
{
    [TestCase("localhost")]
    [TestCase("db.internal")]
    [TestCase("_srv.host-1.lan")]
    [TestCase("127.0.0.1")]
    [TestCase("::1")]
    [TestCase("2001:db8::1")]
    public void A_host_of_the_right_shape_is_well_formed(string host) =>
        Assert.That(HostName.IsWellFormed(host), Is.True);

    [TestCase("")]
    [TestCase("a..b")]
    [TestCase("-a.b")]
    [TestCase("a-.b")]
    [TestCase("a b")]
    [TestCase("[::1]")]
    [TestCase("[::1]:9")]
    [TestCase("a/b")]
    [TestCase("x\u0001")]
    public void Anything_else_is_no_host(string host) =>
        Assert.That(HostName.IsWellFormed(host), Is.False);

    [Test]
    public void Hosts_have_the_DNS_lengths()
    {
        Assert.That(HostName.IsWellFormed(new string('a', 63)), Is.True);
        Assert.That(HostName.IsWellFormed(new string('a', 64)), Is.False, "a label is at most 63");
        string longest = string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('a', 61);
        Assert.That(longest, Has.Length.EqualTo(HostName.MaxLength));
        Assert.That(HostName.IsWellFormed(longest), Is.True);
        Assert.That(HostName.IsWellFormed(longest + "a"), Is.False);
    }

    [TestCase("127.0.0.1", "127.0.0.1")]
    [TestCase("LocalHost", "127.0.0.1")]
    [TestCase("::1", "::1")]
    [TestCase("10.1.2.3", "10.1.2.3")]
    public void Literals_and_localhost_resolve_at_once(string text, string address)
    {
        Assert.That(HostName.TryResolve(text, out var a), Is.EqualTo((Errno)0));
        Assert.That(a, Is.EqualTo(IPAddress.Parse(address)));
    }

    [TestCase("db.internal")]
    [TestCase("1")]
    [TestCase("127.1")]
    [TestCase("0x7f.0.0.1")]
    [TestCase("010.0.0.1")]
    [TestCase("[::1]:9")]
    public void Names_and_odd_literals_need_the_namespace_to_resolve(string text)
    {
        Assert.That(HostName.TryResolve(text, out var a), Is.EqualTo(Errno.EHOSTUNREACH));
        Assert.That(a, Is.EqualTo(IPAddress.None));
    }

    [TestCase("1", 1)]
    [TestCase("80", 80)]
    [TestCase("65535", 65535)]
    public void A_port_is_decimal_1_to_65535(string text, int expected)
    {
        Assert.That(HostName.TryParsePort(text, out int port), Is.EqualTo((Errno)0));
        Assert.That(port, Is.EqualTo(expected));
    }

    [TestCase("", Errno.ENOENT)]
    [TestCase("08", Errno.ENOENT)]
    [TestCase("+80", Errno.ENOENT)]
    [TestCase("http", Errno.ENOENT)]
    [TestCase("123456", Errno.ENOENT)]
    [TestCase("0", Errno.EINVAL)]
    [TestCase("65536", Errno.EINVAL)]
    [TestCase("99999", Errno.EINVAL)]
    public void A_bad_port_is_refused_with_its_errno(string text, Errno expected) =>
        Assert.That(HostName.TryParsePort(text, out _), Is.EqualTo(expected));

    [Test]
    public void A_listen_port_may_be_0_for_any_free_port()
    {
        Assert.That(HostName.TryParseListenPort("0", out int port), Is.EqualTo((Errno)0));
        Assert.That(port, Is.Zero);
        Assert.That(HostName.TryParseListenPort("00", out _), Is.EqualTo(Errno.ENOENT));
        Assert.That(HostName.TryParseListenPort("8080", out port), Is.EqualTo((Errno)0));
        Assert.That(port, Is.EqualTo(8080));
    }
}
