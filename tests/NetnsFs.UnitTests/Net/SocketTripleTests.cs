using Mono.Unix.Native;
using NetnsFs.Net.Sockets;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Net;

/// <summary>The seed's FAMILY;TYPE;PROTOCOL names: what each parses to, and the errno of each refusal.</summary>
public class SocketTripleTests
{
    [TestCase("inet;stream;tcp", SocketKind.AF_INET, SocketKind.SOCK_STREAM, 6)]
    [TestCase("inet6;dgram;udp", SocketKind.AF_INET6, SocketKind.SOCK_DGRAM, 17)]
    [TestCase("unix;seqpacket;0", SocketKind.AF_UNIX, SocketKind.SOCK_SEQPACKET, 0)]
    [TestCase("local;stream;0", SocketKind.AF_UNIX, SocketKind.SOCK_STREAM, 0)]
    [TestCase("inet;raw;icmp", SocketKind.AF_INET, SocketKind.SOCK_RAW, 1)]
    [TestCase("inet;stream;132", SocketKind.AF_INET, SocketKind.SOCK_STREAM, 132)]
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
    public void A_bad_triple_is_refused_with_its_errno(string name, Errno expected) =>
        Assert.That(SocketTriple.TryParse(name, out _), Is.EqualTo(expected));

    [Test]
    public void Every_listed_triple_parses() =>
        Assert.That(SocketTriple.Common.Where(t => SocketTriple.TryParse(t, out _) != 0), Is.Empty);
}
