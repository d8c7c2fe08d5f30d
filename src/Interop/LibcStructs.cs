using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

// The C structs the projects pass to libc, in one place. This file is compiled into each project
// that needs it (linked from its .csproj) rather than shipped as a library: the FUSE layer, the
// namespace layer and the stand-alone client must not depend on each other, and an internal copy
// per assembly costs nothing. Layouts are x86-64 Linux (glibc).

/// <summary>struct iovec.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public void* Base;
    public nint Len;
}

/// <summary>struct msghdr, for sendmsg/recvmsg with SCM_RIGHTS.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLen;
    public IoVec* Iov;
    public nint IovLen;
    public void* Control;
    public nint ControlLen;
    public int Flags;
}

/// <summary>struct cmsghdr; the ancillary data (an fd) follows, 8-byte aligned.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CmsgHdr
{
    public nint Len;
    public int Level;
    public int Type;
}

/// <summary>struct pollfd.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short REvents;
}

/// <summary>struct epoll_event: packed on x86-64 (12 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct EpollEvent
{
    public uint Events;
    public ulong Data;
}
