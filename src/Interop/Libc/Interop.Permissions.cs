using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

/// <summary>A file's mode and owner.</summary>
internal static partial class Libc
{
    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int chmod(string path, uint mode);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int fchmod(int fd, uint mode);

    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int fchownat(int dirfd, string path, uint owner, uint group, int flags);
}
