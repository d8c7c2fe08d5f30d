using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static partial class Libc
{
    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int mount(string source, string target, string fstype, nuint flags, string data);

    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int umount2(string target, int flags);

    internal const nuint MS_NOSUID = 2;
    internal const nuint MS_NODEV = 4;
    internal const nuint MS_NOEXEC = 8;
    internal const nuint MS_BIND = 0x1000;
    internal const nuint MS_REC = 0x4000;
    internal const nuint MS_SHARED = 1 << 20;

    /// <summary>umount2: detach now, clean up once the last user is gone (umount -l).</summary>
    internal const int MNT_DETACH = 2;
}
