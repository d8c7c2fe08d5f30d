using System.Runtime.InteropServices;
using Mono.Unix.Native;
using NetnsFs.Interop;
using EpollEvent = NetnsFs.Interop.EpollEvent;
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
        // Non-blocking: a reader that loses a request to another (a level-triggered report can
        // outlive the request) must go back to epoll_wait, where Wake reaches it, not sleep in read(2).
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
    }

    public int Fd => _fd;

    /// <summary>A reader's own wait on the device: an epoll instance holding the device
    /// (EPOLLEXCLUSIVE) and the wake-up eventfd. A request wakes one idle reader, where poll(2) on
    /// the device would wake them all; the eventfd still reaches every reader
    /// (<see cref="Wake"/>), which a reader blocked in read(2) itself could not be: closing the fd
    /// does not end a read in progress, and the connection would live on.</summary>
    public Reader OpenReader() => new(this);

    public sealed class Reader : IDisposable
    {
        private const ulong DeviceKey = 1;
        private const ulong WakeKey = 2;
        private readonly FuseDevice _device;
        private int _epfd;

        internal Reader(FuseDevice device)
        {
            _device = device;
            _epfd = epoll_create1(EPOLL_CLOEXEC);
            if (_epfd < 0)
                throw new IOException("epoll_create1 failed: " + (Errno)Marshal.GetLastPInvokeError());
            var dev = new EpollEvent { Events = EPOLLIN | EPOLLEXCLUSIVE, Data = DeviceKey };
            var wake = new EpollEvent { Events = EPOLLIN, Data = WakeKey };
            if (epoll_ctl(_epfd, EPOLL_CTL_ADD, device._fd, &dev) != 0 || epoll_ctl(_epfd, EPOLL_CTL_ADD, device._wake, &wake) != 0)
            {
                var errno = (Errno)Marshal.GetLastPInvokeError();
                close(_epfd);
                throw new IOException("epoll_ctl on /dev/fuse failed: " + errno);
            }
        }

        /// <summary>Waits for a request (or <see cref="Wake"/>) and reads it; returns its length, or
        /// a negative errno: EAGAIN when another reader took it first, ESHUTDOWN once woken.</summary>
        public int Read(NativeBuffer buffer)
        {
            EpollEvent* events = stackalloc EpollEvent[2];
            int n = epoll_wait(_epfd, events, 2, -1);
            if (n < 0)
                return -Marshal.GetLastPInvokeError();
            for (int i = 0; i < n; i++)
            {
                if (events[i].Data == WakeKey)
                    return -(int)Errno.ESHUTDOWN;
            }
            // Readable, or POLLERR once the connection is gone: read says which (ENODEV).
            nint r = read(_device._fd, buffer.Pointer, buffer.Length);
            return r >= 0 ? (int)r : -Marshal.GetLastPInvokeError();
        }

        public void Dispose()
        {
            int fd = Interlocked.Exchange(ref _epfd, -1);
            if (fd >= 0)
                close(fd);
        }
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
