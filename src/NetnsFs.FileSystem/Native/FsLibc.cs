using System.Runtime.InteropServices;

namespace NetnsFs.FileSystem.Native;

/// <summary>chown(2): the BCL sets modes (File.SetUnixFileMode) but not owners; tgkill(2) with
/// signal 0, which only checks that a thread belongs to a thread group.</summary>
internal static partial class FsLibc
{
    [LibraryImport("libc", SetLastError = true)]
    public static partial int tgkill(int tgid, int tid, int sig);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chown(string path, uint owner, uint group);
}
