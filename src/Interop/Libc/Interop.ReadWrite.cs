using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint read(int fd, void* buf, nint count);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint write(int fd, void* buf, nint count);
}
