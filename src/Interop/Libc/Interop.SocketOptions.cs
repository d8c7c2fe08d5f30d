using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int getsockopt(int fd, int level, int name, void* value, int* len);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int setsockopt(int fd, int level, int name, void* value, int len);

    // SOL_SOCKET (Interop.Socket.cs) options (asm-generic/socket.h; x86-64 and arm64 alike).
    internal const int SO_REUSEADDR = 2;
    internal const int SO_ERROR = 4;
    internal const int SO_LINGER = 13;
    internal const int SO_PEERCRED = 17;
    internal const int SO_PEERGROUPS = 59;
    internal const int SO_PEERPIDFD = 77;

    // IPPROTO_TCP options.
    internal const int TCP_NODELAY = 1;
    internal const int TCP_INFO = 11;

    // IPPROTO_IPV6 options.
    internal const int IPV6_V6ONLY = 26;

    /// <summary>struct linger (SO_LINGER).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Linger
    {
        public int OnOff;
        public int Seconds;
    }
}
