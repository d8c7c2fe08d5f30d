using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint sendmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint recvmsg(int fd, MsgHdr* msg, int flags);

    /// <summary>cmsg_type at SOL_SOCKET: the data is fds.</summary>
    internal const int SCM_RIGHTS = 1;

    /// <summary>struct msghdr, for sendmsg/recvmsg with SCM_RIGHTS (the same on x86-64 and arm64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct MsgHdr
    {
        public void* Name;
        public uint NameLen;
        public IoVec* Iov;
        public nint IovLen;
        public void* Control;
        public nint ControlLen;
        public int Flags;
    }

    /// <summary>struct cmsghdr; the ancillary data (an fd) follows, 8-byte aligned.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct CmsgHdr
    {
        public nint Len;
        public int Level;
        public int Type;
    }
}
