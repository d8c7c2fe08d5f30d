using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int getrlimit(int resource, RLimit* rlim);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int setrlimit(int resource, RLimit* rlim);

    internal const int RLIMIT_NOFILE = 7;

    /// <summary>struct rlimit: soft and hard limit (64-bit on x86-64 and arm64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct RLimit
    {
        public ulong Cur;
        public ulong Max;
    }
}
