using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int eventfd(uint initval, int flags);

    internal const int EFD_NONBLOCK = 0x800;
    internal const int EFD_CLOEXEC = 0x80000;
}
