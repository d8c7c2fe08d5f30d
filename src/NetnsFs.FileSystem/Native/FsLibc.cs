using System.Runtime.InteropServices;

namespace NetnsFs.FileSystem.Native;

/// <summary>tgkill(2) with signal 0, which only checks that a thread belongs to a thread group.</summary>
internal static partial class FsLibc
{
    [LibraryImport("libc", SetLastError = true)]
    public static partial int tgkill(int tgid, int tid, int sig);
}
