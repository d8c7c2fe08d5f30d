using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint recv(int fd, byte* buf, nint len, int flags);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint send(int fd, byte* buf, nint len, int flags);

    // send/recv/sendmsg/recvmsg flags (and msghdr.msg_flags).
    internal const int MSG_CTRUNC = 0x8;
    internal const int MSG_DONTWAIT = 0x40;
    internal const int MSG_NOSIGNAL = 0x4000;
    internal const int MSG_CMSG_CLOEXEC = 0x40000000;
}
