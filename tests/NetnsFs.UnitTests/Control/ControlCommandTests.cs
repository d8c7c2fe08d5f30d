using System.Net;
using NetnsFs.FileSystem.Control;
using NetnsFs.Interop;
using NetnsFs.Net.Sockets;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Control;

/// <summary>The commands of conn/N/ctl as written (echo adds the newline), parsed for the family of
/// the socket they are for: the verbs, HOST!PORT and HOST/PORT, the any address, unix names, and
/// EINVAL with a reason for everything else.</summary>
public class ControlCommandTests
{
    private const int Inet = SocketKind.AF_INET;
    private const int Inet6 = SocketKind.AF_INET6;
    private const int Unix = SocketKind.AF_UNIX;
    private const int ShutRd = 0, ShutWr = 1, ShutRdwr = 2; // shutdown(2)'s how

    private static ControlCommand Parsed(string line, int family = Inet)
    {
        var e = ControlCommand.TryParse(line, family, out var command, out string why);
        Assert.That(e, Is.EqualTo((Errno)0), $"{line}: {why}");
        return command;
    }

    private static string Refused(string line, int family = Inet)
    {
        var e = ControlCommand.TryParse(line, family, out _, out string why);
        Assert.That(e, Is.EqualTo(Errno.EINVAL), line);
        Assert.That(why, Is.Not.Empty, "a refusal says why (the log line)");
        return why;
    }

    [TestCase("connect 127.0.0.1!80\n", "127.0.0.1", 80)]
    [TestCase("connect 127.0.0.1/80", "127.0.0.1", 80)]
    [TestCase("connect   10.1.2.3!65535  ", "10.1.2.3", 65535)]
    [TestCase("connect\t::1!8080", "::1", 8080)]
    [TestCase("connect [::1]!8080", "::1", 8080)]
    [TestCase("connect [2001:db8::1]/443", "2001:db8::1", 443)]
    [TestCase("connect ::1/22", "::1", 22)]
    [TestCase("connect localhost!7", "127.0.0.1", 7)]
    public void Connect_takes_an_address_and_a_port(string line, string ip, int port)
    {
        var c = Parsed(line);
        Assert.That(c.Verb, Is.EqualTo(ControlVerb.Connect));
        Assert.That(c.Address, Is.EqualTo(new IpControlAddress(IPAddress.Parse(ip), port)));
    }

    [TestCase("connect db.internal!5432", "db.internal", 5432)]
    [TestCase("connect db/5432", "db", 5432)]
    public void Connect_to_a_name_keeps_the_name_for_a_lookup(string line, string host, int port) =>
        Assert.That(Parsed(line).Address, Is.EqualTo(new HostControlAddress(host, port)));

    [TestCase("connect 127.0.0.1!0", "port")]
    [TestCase("connect 127.0.0.1!65536", "port")]
    [TestCase("connect 127.0.0.1!08", "port")]
    [TestCase("connect 127.0.0.1!http", "port")]
    [TestCase("connect 127.0.0.1!", "port")]
    [TestCase("connect 80", "HOST!PORT")]
    [TestCase("connect *!80", "needs an address")]
    [TestCase("connect !80", "needs an address")]
    [TestCase("connect [127.0.0.1]!80", "IPv6")]
    [TestCase("connect [::1!80", "IPv6")]
    [TestCase("connect a..b!80", "no host")]
    [TestCase("connect", "one address")]
    [TestCase("connect 127.0.0.1!80 127.0.0.1!81", "one address")]
    public void A_bad_connect_is_EINVAL(string line, string reason) =>
        Assert.That(Refused(line), Does.Contain(reason));

    [TestCase("bind 127.0.0.1!0", "127.0.0.1", 0)]
    [TestCase("bind 127.0.0.1!8080", "127.0.0.1", 8080)]
    [TestCase("bind [::1]/80", "::1", 80)]
    public void Bind_takes_a_local_address_port_0_included(string line, string ip, int port)
    {
        var c = Parsed(line);
        Assert.That(c.Verb, Is.EqualTo(ControlVerb.Bind));
        Assert.That(c.Address, Is.EqualTo(new IpControlAddress(IPAddress.Parse(ip), port)));
    }

    [TestCase("bind !8080")]
    [TestCase("bind *!8080")]
    [TestCase("bind */8080")]
    [TestCase("bind 8080")]
    public void Bind_without_a_host_is_any_address(string line) =>
        Assert.That(Parsed(line).Address, Is.EqualTo(new IpControlAddress(null, 8080)));

    [TestCase("bind db.internal!80", "literal")]
    [TestCase("bind 127.0.0.1!-1", "port")]
    [TestCase("bind", "one address")]
    [TestCase("bind x", "port")]
    public void A_bad_bind_is_EINVAL(string line, string reason) =>
        Assert.That(Refused(line), Does.Contain(reason));

    [Test]
    public void Announce_binds_if_given_an_address_and_listen_takes_none()
    {
        Assert.That(Parsed("announce *!8080"), Is.EqualTo(new ControlCommand(ControlVerb.Announce, new IpControlAddress(null, 8080))));
        Assert.That(Parsed("announce 127.0.0.1!0").Address, Is.EqualTo(new IpControlAddress(IPAddress.Loopback, 0)));
        Assert.That(Parsed("announce"), Is.EqualTo(new ControlCommand(ControlVerb.Announce)));
        Assert.That(Parsed("listen\n"), Is.EqualTo(new ControlCommand(ControlVerb.Listen)));
        Assert.That(Refused("listen 8080"), Does.Contain("no argument"));
        Assert.That(Refused("announce 1 2"), Does.Contain("one address"));
    }

    [TestCase("shutdown", ShutWr)]
    [TestCase("shutdown\n", ShutWr)]
    [TestCase("shutdown wr", ShutWr)]
    [TestCase("shutdown write", ShutWr)]
    [TestCase("shutdown rd", ShutRd)]
    [TestCase("shutdown read", ShutRd)]
    [TestCase("shutdown rdwr", ShutRdwr)]
    [TestCase("shutdown both", ShutRdwr)]
    public void Shutdown_names_a_direction(string line, int how) =>
        Assert.That(Parsed(line), Is.EqualTo(new ControlCommand(ControlVerb.Shutdown, How: how)));

    [TestCase("", "no command")]
    [TestCase(" \n", "no command")]
    [TestCase("reboot", "unknown verb")]
    [TestCase("Connect 127.0.0.1!80", "unknown verb")]
    [TestCase("hangup", "unknown verb")]
    [TestCase("shutdown sideways", "direction")]
    [TestCase("shutdown rd wr", "at most one")]
    public void Unknown_verbs_and_arguments_are_EINVAL(string line, string reason) =>
        Assert.That(Refused(line), Does.Contain(reason));

    [Test]
    public void Unix_addresses_are_abstract_names_or_absolute_paths()
    {
        Assert.That(Parsed("connect @svc", Unix).Address, Is.EqualTo(new AbstractControlAddress("svc")));
        Assert.That(Parsed("announce @my-listener", Unix).Address, Is.EqualTo(new AbstractControlAddress("my-listener")));
        Assert.That(Parsed("connect /run/app.sock", Unix).Address, Is.EqualTo(new PathControlAddress("/run/app.sock")));
        Assert.That(Parsed("bind @" + new string('n', ControlCommand.MaxAbstractName), Unix).Address, Is.InstanceOf<AbstractControlAddress>());
        Assert.That(Refused("bind @" + new string('n', ControlCommand.MaxAbstractName + 1), Unix), Does.Contain("1 to 107 bytes"));
        Assert.That(Refused("connect @", Unix), Does.Contain("1 to 107 bytes"));
        Assert.That(Refused("connect relative.sock", Unix), Does.Contain("@NAME or an absolute path"));
        Assert.That(Refused("connect 127.0.0.1!80", Unix), Does.Contain("@NAME"));
    }

    [Test]
    public void An_address_meets_its_socket_family()
    {
        var v4 = new IpControlAddress(IPAddress.Loopback, 80);
        Assert.That(v4.TryToSockAddr(Inet, out var a), Is.EqualTo((Errno)0));
        Assert.That(a.ToString(), Is.EqualTo("127.0.0.1:80"));
        Assert.That(v4.TryToSockAddr(Inet6, out var mapped), Is.EqualTo((Errno)0), "IPv4 on an IPv6 socket: v4-mapped");
        Assert.That(mapped.ToString(), Is.EqualTo("[::ffff:127.0.0.1]:80"));
        Assert.That(new IpControlAddress(IPAddress.IPv6Loopback, 80).TryToSockAddr(Inet, out _), Is.EqualTo(Errno.EAFNOSUPPORT));
        Assert.That(v4.TryToSockAddr(Unix, out _), Is.EqualTo(Errno.EAFNOSUPPORT));

        Assert.That(new IpControlAddress(null, 8080).TryToSockAddr(Inet, out var any4), Is.EqualTo((Errno)0));
        Assert.That(any4.ToString(), Is.EqualTo("0.0.0.0:8080"));
        Assert.That(new IpControlAddress(null, 8080).TryToSockAddr(Inet6, out var any6), Is.EqualTo((Errno)0));
        Assert.That(any6.ToString(), Is.EqualTo("[::]:8080"));

        Assert.That(new AbstractControlAddress("svc").TryToSockAddr(Unix, out var abs), Is.EqualTo((Errno)0));
        Assert.That(abs.ToString(), Is.EqualTo("@svc"));
        Assert.That(abs.Length, Is.EqualTo(2 + 1 + 3), "family, the NUL, the name: no terminator");
        Assert.That(new AbstractControlAddress("svc").TryToSockAddr(Inet, out _), Is.EqualTo(Errno.EAFNOSUPPORT));
        Assert.That(new HostControlAddress("db", 80).TryToSockAddr(Inet, out _), Is.EqualTo(Errno.EINVAL), "a name is looked up first");
    }

    [Test]
    public void A_command_reads_back_as_it_is_logged()
    {
        Assert.That(Parsed("connect [::1]/80").ToString(), Is.EqualTo("connect [::1]!80"));
        Assert.That(Parsed("bind 8080").ToString(), Is.EqualTo("bind *!8080"));
        Assert.That(Parsed("shutdown both").ToString(), Is.EqualTo("shutdown rdwr"));
        Assert.That(Parsed("listen").ToString(), Is.EqualTo("listen"));
    }
}
