using System.Runtime.InteropServices;

namespace NetnsFs.Fuse.Abi;

/// <summary>struct fuse_open_in (OPEN and OPENDIR).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseOpenIn
{
    public uint Flags;
    public uint OpenFlags;
}

/// <summary>struct fuse_create_in.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseCreateIn
{
    public uint Flags;
    public uint Mode;
    public uint Umask;
    public uint OpenFlags;
}

/// <summary>struct fuse_open_out.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseOpenOut
{
    public ulong Fh;
    public uint OpenFlags;
    public uint Padding;
}

/// <summary>struct fuse_release_in (RELEASE and RELEASEDIR).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseReleaseIn
{
    public ulong Fh;
    public uint Flags;
    public uint ReleaseFlags;
    public ulong LockOwner;
}

/// <summary>struct fuse_flush_in.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseFlushIn
{
    public ulong Fh;
    public uint Unused;
    public uint Padding;
    public ulong LockOwner;
}

/// <summary>struct fuse_read_in (READ and READDIR). <see cref="Flags"/> is the file's f_flags now,
/// so an O_NONBLOCK set later by fcntl is seen here.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseReadIn
{
    public ulong Fh;
    public ulong Offset;
    public uint Size;
    public uint ReadFlags;
    public ulong LockOwner;
    public uint Flags;
    public uint Padding;
}

/// <summary>struct fuse_write_in; the data follows it.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseWriteIn
{
    public ulong Fh;
    public ulong Offset;
    public uint Size;
    public uint WriteFlags;
    public ulong LockOwner;
    public uint Flags;
    public uint Padding;
}

/// <summary>struct fuse_write_out.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseWriteOut
{
    public uint Size;
    public uint Padding;
}

/// <summary>struct fuse_poll_in.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FusePollIn
{
    public ulong Fh;
    public ulong Kh;
    public uint Flags;
    public uint Events;
}

/// <summary>struct fuse_poll_out.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FusePollOut
{
    public uint REvents;
    public uint Padding;
}

/// <summary>struct fuse_notify_poll_wakeup_out.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseNotifyPollWakeupOut
{
    public ulong Kh;
}

/// <summary>struct fuse_interrupt_in.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseInterruptIn
{
    public ulong Unique;
}

/// <summary>struct fuse_notify_inval_entry_out; the name and a NUL follow.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseNotifyInvalEntryOut
{
    public ulong Parent;
    public uint NameLen;
    public uint Flags;
}

/// <summary>struct fuse_dirent header; the name follows, the record padded to 8 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseDirent
{
    public ulong Ino;
    public ulong Off;
    public uint NameLen;
    public uint Type;
}

/// <summary>Values of fuse_poll_in.flags.</summary>
[Flags]
public enum PollFlags : uint
{
    None = 0,
    ScheduleNotify = 1,
}
