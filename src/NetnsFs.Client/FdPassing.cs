using System.Runtime.InteropServices;
using NetnsFs.Interop;

namespace NetnsFs.Client;

/// <summary>sendmsg/recvmsg with one SCM_RIGHTS fd: what .NET's Socket API does not offer.</summary>
public static unsafe partial class FdPassing
{
    private const int SOL_SOCKET = 1;
    private const int SCM_RIGHTS = 1;
    private const int MSG_CMSG_CLOEXEC = 0x40000000;
    private const int MSG_NOSIGNAL = 0x4000;

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvmsg(int fd, MsgHdr* msg, int flags);

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

    /// <summary>Receives one message into <paramref name="buffer"/>; <paramref name="fd"/> is the
    /// attached fd (close-on-exec) or -1. Returns bytes received or -errno.</summary>
    public static int Receive(int socket, Span<byte> buffer, out int fd)
    {
        fd = -1;
        byte* control = stackalloc byte[ControlSpace * 4];
        fixed (byte* p = buffer)
        {
            IoVec iov = new() { Base = p, Len = buffer.Length };
            MsgHdr msg = new() { Iov = &iov, IovLen = 1, Control = control, ControlLen = ControlSpace * 4 };
            nint n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
            if (n < 0)
                return -Marshal.GetLastPInvokeError();
            if (msg.ControlLen >= sizeof(CmsgHdr) + sizeof(int))
            {
                var cmsg = (CmsgHdr*)control;
                if (cmsg->Level == SOL_SOCKET && cmsg->Type == SCM_RIGHTS)
                    fd = *(int*)(control + sizeof(CmsgHdr));
            }
            return (int)n;
        }
    }
}
