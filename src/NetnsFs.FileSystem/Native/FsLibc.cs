using System.Runtime.InteropServices;

namespace NetnsFs.FileSystem.Native;

/// <summary>chown(2): the BCL sets modes (File.SetUnixFileMode) but not owners.</summary>
internal static partial class FsLibc
{
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chown(string path, uint owner, uint group);
}
