using System.Net;
using System.Net.Sockets;
using NetnsFs.Net.Sockets;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Net;

/// <summary>sockaddr_in, sockaddr_in6 and abstract sockaddr_un as the kernel reads them: checked
/// byte for byte against hand-written layouts and against .NET's own serialization of the same
/// endpoint (which the runtime builds for its own connect(2) calls).</summary>
public sealed class SockAddrTests
{
    private static byte[] Used(SockAddr sa) => sa.Bytes[..sa.Length].ToArray();

    private static byte[] DotNets(EndPoint ep)
    {
        var s = ep.Serialize();
        return s.Buffer.Span[..s.Size].ToArray();
    }

    [Test]
    public void An_IPv4_address_is_a_16_byte_sockaddr_in()
    {
        var sa = SockAddr.FromIp(IPAddress.Parse("127.0.0.1"), 8080);
        byte[] expected = [2, 0, 0x1F, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Multiple(() =>
        {
            Assert.That(Used(sa), Is.EqualTo(expected), "family (host order), port (network order), address, zero padding");
            Assert.That(Used(sa), Is.EqualTo(DotNets(new IPEndPoint(IPAddress.Loopback, 8080))), "as .NET serializes it");
            Assert.That((sa.Family, sa.Port, sa.ToString()), Is.EqualTo((SocketKind.AF_INET, 8080, "127.0.0.1:8080")));
        });
    }

    [Test]
    public void An_IPv6_address_is_a_28_byte_sockaddr_in6_with_its_scope()
    {
        var address = IPAddress.Parse("fe80::1%3");
        var sa = SockAddr.FromIp(address, 443);
        byte[] expected =
        [
            10, 0, 0x01, 0xBB, 0, 0, 0, 0,                  // family, port, flowinfo
            0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // address
            3, 0, 0, 0,                                      // scope id
        ];
        Assert.Multiple(() =>
        {
            Assert.That(Used(sa), Is.EqualTo(expected));
            Assert.That(Used(sa), Is.EqualTo(DotNets(new IPEndPoint(address, 443))), "as .NET serializes it");
            Assert.That((sa.Family, sa.Port, sa.ToString()), Is.EqualTo((SocketKind.AF_INET6, 443, "[fe80::1]:443")));
        });
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(65535)]
    public void The_port_reads_back(int port)
    {
        Assert.That(SockAddr.FromIp(IPAddress.IPv6Loopback, port).Port, Is.EqualTo(port));
        Assert.That(SockAddr.FromIp(IPAddress.Any, port).Port, Is.EqualTo(port));
    }

    [Test]
    public void An_abstract_unix_address_is_a_NUL_then_the_name_without_terminator()
    {
        var sa = SockAddr.AbstractUnix("name"u8);
        byte[] expected = [1, 0, 0, (byte)'n', (byte)'a', (byte)'m', (byte)'e'];
        Assert.Multiple(() =>
        {
            Assert.That(Used(sa), Is.EqualTo(expected));
            Assert.That((sa.Family, sa.Port, sa.ToString()), Is.EqualTo((SocketKind.AF_UNIX, 0, "@name")));
        });
    }

    [Test]
    public void The_longest_abstract_name_fills_sun_path()
    {
        var name = new byte[SockAddr.MaxAbstractName];
        Array.Fill(name, (byte)'x');
        var sa = SockAddr.AbstractUnix(name);
        Assert.That(sa.Length, Is.EqualTo(110), "offsetof(sun_path) 2 + sizeof(sun_path) 108");
        Assert.That(sa.ToString(), Is.EqualTo("@" + new string('x', SockAddr.MaxAbstractName)));
    }

    [Test]
    public void A_unix_path_address_shows_as_its_path()
    {
        var sa = new SockAddr();
        byte[] raw = [1, 0, .. "/run/x.sock"u8, 0];
        raw.CopyTo(sa.Bytes);
        sa.Length = raw.Length;
        Assert.That(sa.ToString(), Is.EqualTo("/run/x.sock"));
    }

    [Test]
    public void An_empty_address_shows_as_nothing()
    {
        var sa = new SockAddr();
        Assert.That((sa.Family, sa.Port, sa.ToString()), Is.EqualTo((0, 0, "")));
        sa.Bytes[0] = (byte)AddressFamily.InterNetwork;
        sa.Length = 4;
        Assert.That(sa.ToString(), Is.EqualTo(""), "an inet address cut short (an unbound socket's) is not printed");
    }
}
