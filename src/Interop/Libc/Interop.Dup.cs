using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int dup(int fd);

    /// <summary>dup2 clears close-on-exec on the new fd.</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int dup2(int oldfd, int newfd);
}
