using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int getsockname(int fd, byte* addr, int* len);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int getpeername(int fd, byte* addr, int* len);
}
