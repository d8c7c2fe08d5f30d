using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static partial class Libc
{
    /// <summary>dup3 puts <paramref name="oldfd"/>'s file at <paramref name="newfd"/> (closing what
    /// was there) in one step, with O_CLOEXEC set at once (dup2 would clear it).</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int dup3(int oldfd, int newfd, int flags);
}
