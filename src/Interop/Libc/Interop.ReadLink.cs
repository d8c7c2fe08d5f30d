using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static partial class Libc
{
    /// <summary>The link's target, not NUL-terminated; path "" reads the O_PATH fd's own link.</summary>
    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint readlinkat(int dirfd, string path, byte[] buffer, nint size);
}
