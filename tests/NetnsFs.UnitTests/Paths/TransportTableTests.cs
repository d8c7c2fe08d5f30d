using NetnsFs.FileSystem.Paths;
using NetnsFs.Net.Sockets;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Paths;

/// <summary>The rows of the transport table, and the listener keys made from them.</summary>
public class TransportTableTests
{
    [Test]
    public void Each_row_has_its_socket_and_address_form()
    {
        var rows = TransportTable.Rows.Select(r => (r.Name, r.Type, r.Protocol, r.CanListen, r.Address));
        Assert.That(rows, Is.EqualTo(new[]
        {
            ("tcp", SocketKind.SOCK_STREAM, 6, true, AddressForm.HostAndPort),
            ("udp", SocketKind.SOCK_DGRAM, 17, false, AddressForm.HostAndPort),
            ("unix", SocketKind.SOCK_STREAM, 0, true, AddressForm.AbstractName),
            ("mptcp", SocketKind.SOCK_STREAM, 262, true, AddressForm.HostAndPort),
        }));
    }

    [Test]
    public void Row_names_are_unique_and_found_by_name()
    {
        Assert.That(TransportTable.Rows.Select(r => r.Name), Is.Unique);
        foreach (var row in TransportTable.Rows)
            Assert.That(TransportTable.Find(row.Name), Is.SameAs(row));
        Assert.That(TransportTable.Find("sctp"), Is.Null);
        Assert.That(TransportTable.Find("TCP"), Is.Null, "names are case-sensitive, as paths are");
    }

    [Test]
    public void No_row_is_named_as_another_fixed_entry_of_the_root()
    {
        var others = new[] { PathGrammar.ConnectionsName, PathGrammar.ProcNetName, PathGrammar.NamespaceLinkName, PathGrammar.StatusName, PathGrammar.HandoffLinkName };
        Assert.That(TransportTable.Rows.Select(r => r.Name), Has.None.AnyOf(others));
        Assert.That(TransportTable.Rows.Where(r => r.Name.Contains(';', StringComparison.Ordinal)), Is.Empty, "a ';' would make it a socket-triple name");
    }

    [Test]
    public void An_mptcp_socket_is_a_stream_that_takes_tcp_options()
    {
        var kind = TransportTable.Mptcp.KindFor(SocketKind.AF_INET);
        Assert.That(kind, Is.EqualTo(new SocketKind(SocketKind.AF_INET, SocketKind.SOCK_STREAM, SocketKind.IPPROTO_MPTCP)));
        Assert.That(kind.IsTcp, Is.True, "TCP_NODELAY is set on it as on tcp/");
        Assert.That(TransportTable.Mptcp.DialFamily, Is.Zero, "the family follows the address");
        Assert.That(TransportTable.Unix.DialFamily, Is.EqualTo(SocketKind.AF_UNIX));
    }

    [TestCase("tcp", "*", 8080, "tcp/*/8080")]
    [TestCase("tcp", "127.0.0.1", 80, "tcp/127.0.0.1/80")]
    [TestCase("mptcp", "::1", 9000, "mptcp/::1/9000")]
    public void A_listener_key_spells_transport_address_and_port(string transport, string address, int port, string text)
    {
        var key = ListenerKey.OnPort(TransportTable.Find(transport)!, address, port);
        Assert.That(key.Text, Is.EqualTo(text));
        Assert.That(key.ToString(), Is.EqualTo(text));
        Assert.That(ListenerKey.TryParse(text, out var back), Is.True);
        Assert.That(back, Is.EqualTo(key));
        Assert.That((back.Transport, back.Address, back.Port), Is.EqualTo((key.Transport, address, port)));
    }

    [Test]
    public void An_abstract_listener_key_has_its_name_and_no_port()
    {
        var key = ListenerKey.Named(TransportTable.Unix, "@svc");
        Assert.That((key.Text, key.Port), Is.EqualTo(("unix/@svc", 0)));
        Assert.That(ListenerKey.TryParse("unix/@svc", out var back) && back == key, Is.True);
        Assert.That(key.BoundTo(1234), Is.EqualTo(key), "a name has no port to bind");
        Assert.Throws<ArgumentException>(() => ListenerKey.OnPort(TransportTable.Unix, "*", 1));
        Assert.Throws<ArgumentException>(() => ListenerKey.Named(TransportTable.Tcp, "@svc"));
    }

    [Test]
    public void Port_0_is_filed_under_the_port_the_kernel_gave()
    {
        var any = ListenerKey.OnPort(TransportTable.Tcp, "*", 0);
        Assert.That(any.BoundTo(40123).Text, Is.EqualTo("tcp/*/40123"));
        var fixedPort = ListenerKey.OnPort(TransportTable.Mptcp, "::1", 80);
        Assert.That(fixedPort.BoundTo(40123), Is.EqualTo(fixedPort), "a listener on a given port keeps it");
    }

    [TestCase("")]
    [TestCase("tcp")]
    [TestCase("sctp/*/80")]
    [TestCase("tcp/*/x")]
    [TestCase("tcp/*/080")]
    [TestCase("tcp/*/70000")]
    [TestCase("tcp/80")]
    [TestCase("unix/svc")]
    [TestCase("unix/@a/b")]
    public void Text_no_key_makes_does_not_read_as_one(string text) =>
        Assert.That(ListenerKey.TryParse(text, out _), Is.False);
}
