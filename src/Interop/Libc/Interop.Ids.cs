using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

/// <summary>The process's user and group ids (they cannot fail).</summary>
internal static unsafe partial class Libc
{
    [LibraryImport(Library)]
    internal static partial uint getuid();

    [LibraryImport(Library)]
    internal static partial uint geteuid();

    [LibraryImport(Library)]
    internal static partial uint getgid();

    [LibraryImport(Library)]
    internal static partial uint getegid();

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int getgroups(int size, uint* list);
}
