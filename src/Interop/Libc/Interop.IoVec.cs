using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static partial class Libc
{
    /// <summary>struct iovec (the same on x86-64 and arm64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct IoVec
    {
        public void* Base;
        public nint Len;
    }
}
