using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static partial class Libc
{
    /// <summary>fstatfs into a raw struct statfs (120 bytes on x86-64 and arm64); f_type is its
    /// first field, a 64-bit word.</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int fstatfs(int fd, byte[] buffer);

    internal const int StatFsSize = 120;

    // f_type values (linux/magic.h).
    internal const long PROC_SUPER_MAGIC = 0x9fa0;
    internal const long NSFS_MAGIC = 0x6e736673;
}
