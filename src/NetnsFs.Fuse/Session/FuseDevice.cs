using System.Runtime.InteropServices;
using Mono.Unix.Native;
using NetnsFs.Interop;
using static NetnsFs.Fuse.Native.FuseLibc;

namespace NetnsFs.Fuse.Session;

/// <summary>An open /dev/fuse connection. Every reply and notification is one write(2) or writev(2):
/// the kernel takes a message whole or not at all, so concurrent writers never interleave.</summary>
public sealed unsafe class FuseDevice : IDisposable
{
    private int _fd;
    private readonly int _wake = eventfd(0, O_CLOEXEC | EFD_NONBLOCK);

    public FuseDevice(int fd)
    {
        _fd = fd;
        // Non-blocking: several readers wake from poll for one request; those that lose the race
        // must go back to poll (where Wake reaches them), not sleep inside read(2).
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
    }

    public int Fd => _fd;

    /// <summary>Waits for a request (or <see cref="Wake"/>) and reads it; returns its length, or a
    /// negative errno (ESHUTDOWN once woken). A reader blocked in read(2) itself could not be woken:
    /// closing the fd does not end a read in progress, and the connection would live on.</summary>
    public int Read(NativeBuffer buffer)
    {
        PollFd* fds = stackalloc PollFd[2];
        fds[0] = new PollFd { Fd = _fd, Events = 1 };
        fds[1] = new PollFd { Fd = _wake, Events = 1 };
        if (poll(fds, 2, -1) < 0)
            return -Marshal.GetLastPInvokeError();
        if (fds[1].REvents != 0)
            return -(int)Errno.ESHUTDOWN;
        if ((fds[0].REvents & 1) == 0)
        {
            // POLLERR/POLLHUP without data: the connection is gone (read says ENODEV)
        }
        nint n = read(_fd, buffer.Pointer, buffer.Length);
        return n >= 0 ? (int)n : -Marshal.GetLastPInvokeError();
    }

    /// <summary>Makes every reader return ESHUTDOWN (and every later read).</summary>
    public void Wake()
    {
        ulong one = 1;
        write(_wake, (byte*)&one, 8);
    }

    /// <summary>Sends one message; returns 0 or the errno (ENOENT: the request was interrupted and is
    /// gone, which is not an error; ENODEV: the mount is gone).</summary>
    public Errno Write(ReadOnlySpan<byte> message)
    {
        fixed (byte* p = message)
        {
            return write(_fd, p, message.Length) >= 0 ? 0 : (Errno)Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>Sends a header and a payload that live apart as one message.</summary>
    public Errno Write(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        fixed (byte* h = header)
        fixed (byte* p = payload)
        {
            IoVec* iov = stackalloc IoVec[2];
            iov[0] = new IoVec { Base = h, Len = header.Length };
            iov[1] = new IoVec { Base = p, Len = payload.Length };
            return writev(_fd, iov, payload.IsEmpty ? 1 : 2) >= 0 ? 0 : (Errno)Marshal.GetLastPInvokeError();
        }
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            close(fd);
    }

    /// <summary>Releases the wake-up eventfd, once no reader uses it any more.</summary>
    public void DisposeWake() => close(_wake);
}
