namespace NetnsFs.Net.Sockets;

/// <summary>The three numbers socket(2) takes.</summary>
public readonly record struct SocketKind(int Family, int Type, int Protocol)
{
    public const int AF_UNIX = 1;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int AF_PACKET = 17;
    public const int SOCK_STREAM = 1;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_RAW = 3;
    public const int SOCK_SEQPACKET = 5;

    public const int IPPROTO_TCP = 6;
    public const int IPPROTO_UDP = 17;
    public const int IPPROTO_MPTCP = 262;

    public bool IsStream => Type == SOCK_STREAM;

    /// <summary>TCP (or MPTCP) over IPv4 or IPv6: takes the IPPROTO_TCP socket options.</summary>
    public bool IsTcp => Family is AF_INET or AF_INET6 && Type == SOCK_STREAM && Protocol is 0 or IPPROTO_TCP or IPPROTO_MPTCP;

    /// <summary>Datagram-like: one write is one message, one read one message.</summary>
    public bool KeepsMessageBoundaries => Type is SOCK_DGRAM or SOCK_SEQPACKET or SOCK_RAW;

    /// <summary>Needs CAP_NET_RAW in the namespace (raw and packet sockets).</summary>
    public bool NeedsNetRaw => Type == SOCK_RAW || Family == AF_PACKET;
}
