using System.Runtime.InteropServices;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Client;

/// <summary>What statx(2) says of a file: type, mode, owner, identity. Shared with the daemon (as
/// <see cref="HandoffWire"/> is), which checks its run directories and handoff sockets with it.
/// statx has one layout on every architecture, unlike struct stat.</summary>
public readonly record struct FileStatus(uint Mode, uint Uid, uint Gid, ulong Inode, uint DevMajor, uint DevMinor)
{
    public const uint TypeMask = S_IFMT;
    public const uint Directory = S_IFDIR;
    public const uint Socket = S_IFSOCK;
    public const uint Symlink = S_IFLNK;

    public const int AtFdCwd = AT_FDCWD;
    public const int AtSymlinkNoFollow = AT_SYMLINK_NOFOLLOW;
    public const int AtEmptyPath = AT_EMPTY_PATH;

    public uint Type => Mode & TypeMask;

    /// <summary>Permission bits, set-id and sticky bits included.</summary>
    public uint Permissions => Mode & ~S_IFMT;

    /// <summary>statx of <paramref name="path"/> relative to <paramref name="dirFd"/> (or of the fd
    /// itself with path "" and <see cref="AtEmptyPath"/>). Returns 0 or an errno.</summary>
    public static unsafe int Get(int dirFd, string path, int flags, out FileStatus status)
    {
        Statx buf = default;
        if (statx(dirFd, path, flags, STATX_BASIC_STATS, &buf) != 0)
        {
            status = default;
            return Marshal.GetLastPInvokeError();
        }
        status = new FileStatus(buf.Mode, buf.Uid, buf.Gid, buf.Ino, buf.DevMajor, buf.DevMinor);
        return 0;
    }

    /// <summary>lstat: a symlink is reported as itself.</summary>
    public static int OfPath(string path, bool followLinks, out FileStatus status) =>
        Get(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, out status);

    /// <summary>fstat of an open fd (O_PATH fds too).</summary>
    public static int OfFd(int fd, out FileStatus status) => Get(fd, "", AtEmptyPath, out status);

    public override string ToString()
    {
        string type = Type switch { Directory => "directory", Socket => "socket", Symlink => "symlink", S_IFREG => "file", _ => "special file" };
        return $"{type}, mode 0{Convert.ToString(Permissions, 8)}, owner {Uid}:{Gid}";
    }
}
