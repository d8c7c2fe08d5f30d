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

    public bool IsStream => Type == SOCK_STREAM;

    /// <summary>Datagram-like: one write is one message, one read one message.</summary>
    public bool KeepsMessageBoundaries => Type is SOCK_DGRAM or SOCK_SEQPACKET or SOCK_RAW;

    /// <summary>Needs CAP_NET_RAW in the namespace (raw and packet sockets).</summary>
    public bool NeedsNetRaw => Type == SOCK_RAW || Family == AF_PACKET;
}
