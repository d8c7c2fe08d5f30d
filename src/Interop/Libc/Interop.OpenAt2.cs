using System.Runtime.InteropServices;
using System.Text;

namespace NetnsFs.Interop;

internal static unsafe partial class Libc
{
    /// <summary>open_how.resolve: resolve as if <c>dirfd</c> were the root ("/" and ".." stay in it).</summary>
    internal const ulong RESOLVE_IN_ROOT = 0x10;

    /// <summary>openat2(2) (glibc has no wrapper): the fd, or -1 and errno.</summary>
    internal static int OpenAt2(int dirfd, string path, in OpenHow how)
    {
        byte[] cpath = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, cpath);
        fixed (byte* p = cpath)
        fixed (OpenHow* h = &how)
            return (int)Syscall(SYS_openat2, dirfd, (nint)p, (nint)h, sizeof(OpenHow));
    }

    /// <summary>struct open_how (linux/openat2.h): the same on every architecture.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }
}
