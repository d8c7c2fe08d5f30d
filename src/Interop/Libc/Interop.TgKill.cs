using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static partial class Libc
{
    /// <summary>tgkill(2); signal 0 only checks that thread <paramref name="tid"/> is in thread group
    /// <paramref name="tgid"/>.</summary>
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int tgkill(int tgid, int tid, int sig);
}
