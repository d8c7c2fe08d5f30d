using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

/// <summary>Entering and making namespaces.</summary>
internal static partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int setns(int fd, int nstype);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int unshare(int flags);

    internal const int CLONE_NEWNET = 0x40000000;
}
