namespace NetnsFs.Interop;

/// <summary>The *at(2) calls' directory and flags (linux/fcntl.h).</summary>
internal static partial class Libc
{
    /// <summary>A dirfd meaning the working directory.</summary>
    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const int AT_REMOVEDIR = 0x200;
    internal const int AT_EMPTY_PATH = 0x1000;
}
