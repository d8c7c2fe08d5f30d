using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static partial class Libc
{
    /// <summary>argv and envp: arrays of UTF-8 C strings ending in a null pointer.</summary>
    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int execve(string path, nint[] argv, nint[] envp);
}
