using NetnsFs.Interop;

namespace NetnsFs.Net.Sockets;

/// <summary>Socket-triple file names: "FAMILY;TYPE;PROTOCOL", e.g. "inet;stream;tcp", "inet6;dgram;udp",
/// "unix;stream;0", "inet;raw;icmp", "netlink;raw;0" (NETLINK_ROUTE). The protocol is a name or a decimal number (0: the default).</summary>
public static class SocketTriple
{
    private static readonly (string Name, int Value)[] Families =
        [("inet", SocketKind.AF_INET), ("inet6", SocketKind.AF_INET6), ("unix", SocketKind.AF_UNIX), ("local", SocketKind.AF_UNIX), ("netlink", SocketKind.AF_NETLINK)];

    private static readonly (string Name, int Value)[] Types =
        [("stream", SocketKind.SOCK_STREAM), ("dgram", SocketKind.SOCK_DGRAM), ("seqpacket", SocketKind.SOCK_SEQPACKET), ("raw", SocketKind.SOCK_RAW)];

    private static readonly (string Name, int Value)[] Protocols =
        [("ip", 0), ("icmp", 1), ("tcp", 6), ("udp", 17), ("ipv6", 41), ("icmpv6", 58), ("ipv6-icmp", 58), ("sctp", 132), ("udplite", 136), ("raw", 255)];

    /// <summary>The names `ls` shows at the root of a mount.</summary>
    public static readonly string[] Common =
    [
        "inet;stream;tcp", "inet;dgram;udp", "inet6;stream;tcp", "inet6;dgram;udp",
        "unix;stream;0", "unix;dgram;0", "unix;seqpacket;0", "inet;raw;icmp", "inet6;raw;icmpv6",
    ];

    /// <summary>True if the name has the shape of a triple (two ';'), whatever its parts.</summary>
    public static bool LooksLikeTriple(ReadOnlySpan<char> name) => name.Count(';') == 2;

    /// <summary>Parses a triple. Errors: ENOENT for a name without exactly three ';'-separated
    /// fields, EAFNOSUPPORT for an unknown family, EINVAL for an unknown type, EPROTONOSUPPORT for a
    /// protocol that is neither a known name nor a decimal 0-255 (or is not 0 for a unix family).
    /// Whether the family and type can carry a protocol is the kernel's to say, at socket(2).</summary>
    public static Errno TryParse(ReadOnlySpan<char> name, out SocketKind kind)
    {
        kind = default;
        int first = name.IndexOf(';');
        if (first < 0)
            return Errno.ENOENT;
        var rest = name[(first + 1)..];
        int second = rest.IndexOf(';');
        if (second < 0 || rest[(second + 1)..].Contains(';'))
            return Errno.ENOENT;
        if (!Lookup(Families, name[..first], out int family))
            return Errno.EAFNOSUPPORT;
        if (!Lookup(Types, rest[..second], out int type))
            return Errno.EINVAL;
        var protoText = rest[(second + 1)..];
        if (!Lookup(Protocols, protoText, out int protocol))
        {
            if (protoText.IsEmpty || protoText.Length > 3 || !int.TryParse(protoText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out protocol) || protocol > 255)
                return Errno.EPROTONOSUPPORT;
        }
        if (family == SocketKind.AF_UNIX && protocol != 0)
            return Errno.EPROTONOSUPPORT;
        // Netlink: the route and sock_diag families only (what `ip` and `ss` read); changing
        // anything through them needs CAP_NET_ADMIN, which the kernel checks on the socket's opener.
        if (family == SocketKind.AF_NETLINK && protocol is not (0 or 4))
            return Errno.EPROTONOSUPPORT;
        kind = new SocketKind(family, type, protocol);
        return 0;
    }

    private static bool Lookup((string Name, int Value)[] table, ReadOnlySpan<char> text, out int value)
    {
        foreach (var (n, v) in table)
        {
            if (text.SequenceEqual(n))
            {
                value = v;
                return true;
            }
        }
        value = 0;
        return false;
    }
}
