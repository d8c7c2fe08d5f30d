using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int shutdown(int fd, int how);

    internal const int SHUT_RD = 0;
    internal const int SHUT_WR = 1;
    internal const int SHUT_RDWR = 2;
}
