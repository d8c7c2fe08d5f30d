using NetnsFs.Interop;

namespace NetnsFs.Net.Sockets;

/// <summary>The three numbers socket(2) takes. The constants are the libc ones (src/Interop), public
/// here for the layers above.</summary>
public readonly record struct SocketKind(int Family, int Type, int Protocol)
{
    public const int AF_UNIX = Libc.AF_UNIX;
    public const int AF_INET = Libc.AF_INET;
    public const int AF_INET6 = Libc.AF_INET6;
    public const int AF_PACKET = Libc.AF_PACKET;
    public const int AF_NETLINK = Libc.AF_NETLINK;
    public const int SOCK_STREAM = Libc.SOCK_STREAM;
    public const int SOCK_DGRAM = Libc.SOCK_DGRAM;
    public const int SOCK_RAW = Libc.SOCK_RAW;
    public const int SOCK_SEQPACKET = Libc.SOCK_SEQPACKET;

    public const int IPPROTO_TCP = Libc.IPPROTO_TCP;
    public const int IPPROTO_UDP = Libc.IPPROTO_UDP;
    public const int IPPROTO_MPTCP = Libc.IPPROTO_MPTCP;

    public bool IsStream => Type == SOCK_STREAM;

    /// <summary>TCP (or MPTCP) over IPv4 or IPv6: takes the IPPROTO_TCP socket options.</summary>
    public bool IsTcp => Family is AF_INET or AF_INET6 && Type == SOCK_STREAM && Protocol is 0 or IPPROTO_TCP or IPPROTO_MPTCP;

    /// <summary>Datagram-like: one write is one message, one read one message.</summary>
    public bool KeepsMessageBoundaries => Type is SOCK_DGRAM or SOCK_SEQPACKET or SOCK_RAW;

    /// <summary>Needs CAP_NET_RAW in the namespace (raw and packet sockets).</summary>
    public bool NeedsNetRaw => (Type == SOCK_RAW && Family != AF_NETLINK) || Family == AF_PACKET; // a netlink raw socket is the normal kind
}
