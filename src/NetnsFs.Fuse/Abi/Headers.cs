using System.Runtime.InteropServices;

namespace NetnsFs.Fuse.Abi;

/// <summary>struct fuse_in_header: 40 bytes before every request.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseInHeader
{
    public uint Len;
    public uint Opcode;
    public ulong Unique;
    public ulong NodeId;
    public uint Uid;
    public uint Gid;
    public uint Pid;
    public ushort TotalExtLen;
    public ushort Padding;
}

/// <summary>struct fuse_out_header: 16 bytes before every reply and notification.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct FuseOutHeader
{
    public uint Len;
    public int Error;
    public ulong Unique;
}
