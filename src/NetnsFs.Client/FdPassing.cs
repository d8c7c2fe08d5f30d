using System.Runtime.InteropServices;
using NetnsFs.Interop;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Client;

/// <summary>sendmsg/recvmsg with one SCM_RIGHTS fd: what .NET's Socket API does not offer.</summary>
public static unsafe class FdPassing
{
    private static readonly int ControlSpace = (sizeof(CmsgHdr) + sizeof(int) + 7) & ~7;

    /// <summary>Sends <paramref name="data"/> with <paramref name="fd"/> attached (or none if -1).
    /// Returns bytes sent or -errno.</summary>
    public static int Send(int socket, ReadOnlySpan<byte> data, int fd)
    {
        byte* control = stackalloc byte[ControlSpace];
        new Span<byte>(control, ControlSpace).Clear();
        fixed (byte* p = data)
        {
            IoVec iov = new() { Base = p, Len = data.Length };
            MsgHdr msg = new() { Iov = &iov, IovLen = 1 };
            if (fd >= 0)
            {
                var cmsg = (CmsgHdr*)control;
                cmsg->Len = sizeof(CmsgHdr) + sizeof(int);
                cmsg->Level = SOL_SOCKET;
                cmsg->Type = SCM_RIGHTS;
                *(int*)(control + sizeof(CmsgHdr)) = fd;
                msg.Control = control;
                msg.ControlLen = ControlSpace;
            }
            nint n = sendmsg(socket, &msg, MSG_NOSIGNAL);
            return n >= 0 ? (int)n : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>Room for this many fds: a well-formed reply has one; more lets the kernel hand over
    /// (and us close) what a misbehaving server sends instead of truncating silently.</summary>
    private const int ControlFds = 16;

    /// <summary>Receives one message into <paramref name="buffer"/>; <paramref name="fd"/> is the
    /// attached fd (close-on-exec) or -1. Returns bytes received or -errno. Every control message
    /// is read: a reply with more than one fd, or whose control data was truncated (MSG_CTRUNC),
    /// gets all its fds closed and -EPROTO, so nothing a server sends leaks into the caller.</summary>
    public static int Receive(int socket, Span<byte> buffer, out int fd)
    {
        fd = -1;
        int space = sizeof(CmsgHdr) + ControlFds * sizeof(int);
        byte* control = stackalloc byte[space];
        new Span<byte>(control, space).Clear();
        fixed (byte* p = buffer)
        {
            IoVec iov = new() { Base = p, Len = buffer.Length };
            MsgHdr msg = new() { Iov = &iov, IovLen = 1, Control = control, ControlLen = space };
            nint n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
            if (n < 0)
                return -Marshal.GetLastPInvokeError();
            int count = 0;
            // CMSG_FIRSTHDR / CMSG_NXTHDR: each header is followed by its data, padded to 8 bytes.
            for (nint off = 0; off + sizeof(CmsgHdr) <= msg.ControlLen;)
            {
                var cmsg = (CmsgHdr*)(control + off);
                if (cmsg->Len < sizeof(CmsgHdr) || off + cmsg->Len > msg.ControlLen)
                    break;
                if (cmsg->Level == SOL_SOCKET && cmsg->Type == SCM_RIGHTS)
                {
                    int* fds = (int*)(control + off + sizeof(CmsgHdr));
                    nint k = (cmsg->Len - sizeof(CmsgHdr)) / sizeof(int);
                    for (nint i = 0; i < k; i++)
                    {
                        if (count++ == 0)
                            fd = fds[i];
                        else
                            close(fds[i]);
                    }
                }
                off += (cmsg->Len + 7) & ~7;
            }
            if (count > 1 || (msg.Flags & MSG_CTRUNC) != 0)
            {
                Close(fd);
                fd = -1;
                return -(int)Errno.EPROTO;
            }
            return (int)n;
        }
    }

    /// <summary>close(2) of an fd received here, if any (-1: none).</summary>
    public static void Close(int fd)
    {
        if (fd >= 0)
            close(fd);
    }
}
