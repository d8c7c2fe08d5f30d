using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static unsafe partial class Libc
{
    /// <summary>fstat into a raw struct stat: 144 bytes on x86-64 (128 on arm64), st_ino at offset 8
    /// on both. New code should use <c>statx</c>, whose layout is the same everywhere.</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int fstat(int fd, void* statbuf);

    internal const int StatSize = 144;
    internal const int StatInoOffset = 8;
}
