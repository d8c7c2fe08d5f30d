using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

/// <summary>Addressing a socket: connect, bind, listen, accept4.</summary>
internal static unsafe partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int connect(int fd, byte* addr, int len);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int bind(int fd, byte* addr, int len);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int listen(int fd, int backlog);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int accept4(int fd, byte* addr, int* len, int flags);
}
