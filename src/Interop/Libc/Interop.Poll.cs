using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int poll(PollFd* fds, nuint nfds, int timeout);

    internal const short POLLIN = 1;
    internal const short POLLHUP = 0x10;

    /// <summary>struct pollfd (the same on x86-64 and arm64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }
}
