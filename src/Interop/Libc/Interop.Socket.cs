using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int socketpair(int domain, int type, int protocol, int* sv);

    // Address families (sys/socket.h).
    internal const int AF_UNIX = 1;
    internal const int AF_INET = 2;
    internal const int AF_INET6 = 10;
    internal const int AF_NETLINK = 16;
    internal const int AF_PACKET = 17;

    // Socket types, and the flags socket(2) takes with them.
    internal const int SOCK_STREAM = 1;
    internal const int SOCK_DGRAM = 2;
    internal const int SOCK_RAW = 3;
    internal const int SOCK_SEQPACKET = 5;
    internal const int SOCK_NONBLOCK = 0x800;
    internal const int SOCK_CLOEXEC = 0x80000;

    /// <summary>The socket level of socket options and control messages (the others are IPPROTO_*).</summary>
    internal const int SOL_SOCKET = 1;

    // Protocols (netinet/in.h).
    internal const int IPPROTO_TCP = 6;
    internal const int IPPROTO_UDP = 17;
    internal const int IPPROTO_IPV6 = 41;
    internal const int IPPROTO_MPTCP = 262;
}
