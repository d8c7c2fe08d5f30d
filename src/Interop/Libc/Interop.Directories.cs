using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

/// <summary>Making and removing directory entries.</summary>
internal static partial class Libc
{
    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mkdir(string path, uint mode);

    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mkdirat(int dirfd, string path, uint mode);

    /// <summary>flags: 0, or <see cref="AT_REMOVEDIR"/> to remove an empty directory.</summary>
    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int unlinkat(int dirfd, string path, int flags);
}
