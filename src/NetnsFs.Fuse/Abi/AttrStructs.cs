using System.Runtime.InteropServices;

namespace NetnsFs.Fuse.Abi;

/// <summary>struct fuse_attr (88 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseAttr
{
    public ulong Ino;
    public ulong Size;
    public ulong Blocks;
    public ulong ATime;
    public ulong MTime;
    public ulong CTime;
    public uint ATimeNsec;
    public uint MTimeNsec;
    public uint CTimeNsec;
    public uint Mode;
    public uint NLink;
    public uint Uid;
    public uint Gid;
    public uint RDev;
    public uint BlkSize;
    public uint Flags;
}

/// <summary>struct fuse_entry_out (128 bytes): the answer to LOOKUP, MKDIR, MKNOD, SYMLINK, CREATE.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseEntryOut
{
    public ulong NodeId;
    public ulong Generation;
    public ulong EntryValid;
    public ulong AttrValid;
    public uint EntryValidNsec;
    public uint AttrValidNsec;
    public FuseAttr Attr;
}

/// <summary>struct fuse_attr_out (104 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseAttrOut
{
    public ulong AttrValid;
    public uint AttrValidNsec;
    public uint Dummy;
    public FuseAttr Attr;
}

/// <summary>struct fuse_getattr_in.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseGetAttrIn
{
    public uint GetAttrFlags;
    public uint Dummy;
    public ulong Fh;
}

/// <summary>struct fuse_setattr_in (88 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseSetAttrIn
{
    public uint Valid;
    public uint Padding;
    public ulong Fh;
    public ulong Size;
    public ulong LockOwner;
    public ulong ATime;
    public ulong MTime;
    public ulong CTime;
    public uint ATimeNsec;
    public uint MTimeNsec;
    public uint CTimeNsec;
    public uint Mode;
    public uint Unused4;
    public uint Uid;
    public uint Gid;
    public uint Unused5;
}

/// <summary>struct fuse_kstatfs inside fuse_statfs_out (80 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public unsafe struct FuseStatfsOut
{
    public ulong Blocks;
    public ulong BFree;
    public ulong BAvail;
    public ulong Files;
    public ulong FFree;
    public uint BSize;
    public uint NameLen;
    public uint FrSize;
    public uint Padding;
    public fixed uint Spare[6];
}

/// <summary>struct fuse_forget_in / fuse_forget_one / fuse_batch_forget_in.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseForgetIn
{
    public ulong NLookup;
}

[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseForgetOne
{
    public ulong NodeId;
    public ulong NLookup;
}

[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseBatchForgetIn
{
    public uint Count;
    public uint Dummy;
}

/// <summary>struct fuse_mknod_in.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseMkNodIn
{
    public uint Mode;
    public uint RDev;
    public uint Umask;
    public uint Padding;
}

/// <summary>struct fuse_mkdir_in.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseMkDirIn
{
    public uint Mode;
    public uint Umask;
}

/// <summary>struct fuse_access_in.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseAccessIn
{
    public uint Mask;
    public uint Padding;
}
