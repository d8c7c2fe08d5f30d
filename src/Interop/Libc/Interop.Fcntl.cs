using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int fcntl(int fd, int cmd, int arg);

    internal const int F_SETFD = 2;
    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;
    internal const int F_DUPFD_CLOEXEC = 1030;

    /// <summary>The one fd flag (F_SETFD).</summary>
    internal const int FD_CLOEXEC = 1;
}
