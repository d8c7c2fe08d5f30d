using System.Runtime.InteropServices;

namespace NetnsFs.Client;

/// <summary>What statx(2) says of a file: type, mode, owner, identity. Shared with the daemon (as
/// <see cref="HandoffWire"/> is), which checks its run directories and handoff sockets with it.
/// statx has one layout on every architecture, unlike struct stat.</summary>
public readonly partial record struct FileStatus(uint Mode, uint Uid, uint Gid, ulong Inode, uint DevMajor, uint DevMinor)
{
    public const uint TypeMask = 0xF000;
    public const uint Directory = 0x4000;
    public const uint Socket = 0xC000;
    public const uint Symlink = 0xA000;

    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;

    public uint Type => Mode & TypeMask;

    /// <summary>Permission bits, set-id and sticky bits included.</summary>
    public uint Permissions => Mode & 0xFFF;

    /// <summary>statx of <paramref name="path"/> relative to <paramref name="dirFd"/> (or of the fd
    /// itself with path "" and <see cref="AtEmptyPath"/>). Returns 0 or an errno.</summary>
    public static unsafe int Get(int dirFd, string path, int flags, out FileStatus status)
    {
        Statx buf = default;
        if (statx(dirFd, path, flags, StatxBasicStats, &buf) != 0)
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
        string type = Type switch { Directory => "directory", Socket => "socket", Symlink => "symlink", 0x8000 => "file", _ => "special file" };
        return $"{type}, mode 0{Convert.ToString(Permissions, 8)}, owner {Uid}:{Gid}";
    }

    private const uint StatxBasicStats = 0x7FF;

    /// <summary>struct statx (linux/stat.h): only the fields read here.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct Statx
    {
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Ino;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, Statx* buf);
}
