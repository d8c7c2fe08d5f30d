using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int epoll_create1(int flags);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int epoll_wait(int epfd, EpollEvent* events, int maxevents, int timeout);

    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EPOLL_CTL_ADD = 1;
    internal const int EPOLL_CTL_DEL = 2;
    internal const int EPOLL_CTL_MOD = 3;

    /// <summary>struct epoll_event. Packed on x86-64 (12 bytes: the kernel's EPOLL_PACKED there); arm64's
    /// is not packed (16 bytes, Data at 8), which is why the daemon runs only on x86-64 (LibcLayouts).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }
}
