using NetnsFs.Interop;
using NetnsFs.Net.Sockets;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Net;

/// <summary>Socket-triple file names, FAMILY;TYPE;PROTOCOL: what each parses to, and the errno of each refusal.</summary>
public class SocketTripleTests
{
    [TestCase("inet;stream;tcp", SocketKind.AF_INET, SocketKind.SOCK_STREAM, 6)]
    [TestCase("inet6;dgram;udp", SocketKind.AF_INET6, SocketKind.SOCK_DGRAM, 17)]
    [TestCase("unix;seqpacket;0", SocketKind.AF_UNIX, SocketKind.SOCK_SEQPACKET, 0)]
    [TestCase("local;stream;0", SocketKind.AF_UNIX, SocketKind.SOCK_STREAM, 0)]
    [TestCase("inet;raw;icmp", SocketKind.AF_INET, SocketKind.SOCK_RAW, 1)]
    [TestCase("inet;stream;132", SocketKind.AF_INET, SocketKind.SOCK_STREAM, 132)]
    [TestCase("inet;stream;ip", SocketKind.AF_INET, SocketKind.SOCK_STREAM, 0)]
    [TestCase("inet6;raw;icmpv6", SocketKind.AF_INET6, SocketKind.SOCK_RAW, 58)]
    [TestCase("inet6;raw;ipv6-icmp", SocketKind.AF_INET6, SocketKind.SOCK_RAW, 58)]
    [TestCase("inet;seqpacket;sctp", SocketKind.AF_INET, SocketKind.SOCK_SEQPACKET, 132)]
    [TestCase("inet;dgram;udplite", SocketKind.AF_INET, SocketKind.SOCK_DGRAM, 136)]
    [TestCase("inet;raw;255", SocketKind.AF_INET, SocketKind.SOCK_RAW, 255)]
    [TestCase("unix;dgram;0", SocketKind.AF_UNIX, SocketKind.SOCK_DGRAM, 0)]
    public void A_triple_parses_to_its_family_type_and_protocol(string name, int family, int type, int protocol)
    {
        Assert.That(SocketTriple.TryParse(name, out var kind), Is.EqualTo((Errno)0));
        Assert.That(kind, Is.EqualTo(new SocketKind(family, type, protocol)));
    }

    [TestCase("inet;stream", Errno.ENOENT)]
    [TestCase("inet;stream;tcp;x", Errno.ENOENT)]
    [TestCase("appletalk;stream;0", Errno.EAFNOSUPPORT)]
    [TestCase("inet;circle;0", Errno.EINVAL)]
    [TestCase("inet;stream;256", Errno.EPROTONOSUPPORT)]
    [TestCase("inet;stream;", Errno.EPROTONOSUPPORT)]
    [TestCase("unix;stream;tcp", Errno.EPROTONOSUPPORT)]
    [TestCase("inet;stream;1000", Errno.EPROTONOSUPPORT)]
    [TestCase("inet;stream;-1", Errno.EPROTONOSUPPORT)]
    [TestCase("inet;stream;+6", Errno.EPROTONOSUPPORT)]
    [TestCase("inet;stream;TCP", Errno.EPROTONOSUPPORT)]
    [TestCase("INET;stream;tcp", Errno.EAFNOSUPPORT)]
    [TestCase(";stream;tcp", Errno.EAFNOSUPPORT)]
    [TestCase("inet;;tcp", Errno.EINVAL)]
    [TestCase("unix;stream;1", Errno.EPROTONOSUPPORT)]
    [TestCase("inet", Errno.ENOENT)]
    [TestCase(";;;", Errno.ENOENT)]
    public void A_bad_triple_is_refused_with_its_errno(string name, Errno expected) =>
        Assert.That(SocketTriple.TryParse(name, out _), Is.EqualTo(expected));

    [Test]
    public void A_refusal_leaves_no_kind()
    {
        SocketTriple.TryParse("inet;stream;999", out var kind);
        Assert.That(kind, Is.EqualTo(default(SocketKind)));
    }

    [TestCase("inet;stream;tcp", true)]
    [TestCase(";;", true)]
    [TestCase("inet;stream", false)]
    [TestCase("a;b;c;d", false)]
    [TestCase("tcp", false)]
    public void LooksLikeTriple_counts_two_separators(string name, bool expected) =>
        Assert.That(SocketTriple.LooksLikeTriple(name), Is.EqualTo(expected));

    [Test]
    public void Every_listed_triple_parses() =>
        Assert.That(SocketTriple.Common.Where(t => SocketTriple.TryParse(t, out _) != 0), Is.Empty);
}
