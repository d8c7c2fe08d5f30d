using System.Runtime.InteropServices;
using NetnsFs.Fuse.Native;
using NetnsFs.Interop;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Fuse.Session;

/// <summary>An open /dev/fuse connection. Every reply and notification is one write(2) or writev(2):
/// the kernel takes a message whole or not at all, so concurrent writers never interleave.</summary>
public sealed unsafe class FuseDevice : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<Reader> _readers = [];
    private int _fd;
    private volatile bool _woken;

    public FuseDevice(int fd)
    {
        _fd = fd;
        // Readers block in read(2); a non-blocking fd would make an idle reader see EAGAIN and stop.
        int flags = fcntl(fd, F_GETFL, 0);
        if (flags >= 0 && (flags & O_NONBLOCK) != 0)
            fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    }

    public int Fd => _fd;

    /// <summary>The calling thread's way of waiting for requests. Readers block in read(2) itself:
    /// the kernel queues its readers exclusively, so a request wakes exactly one idle reader, with
    /// one system call per request. (An epoll wait in front of the read would cost a second call,
    /// and every reader's epoll would wake for every request: the device wakes its queue without
    /// a poll key, which defeats EPOLLEXCLUSIVE.) <see cref="Wake"/> ends the reads with a signal.</summary>
    public Reader OpenReader() => new(this);

    public sealed class Reader : IDisposable
    {
        private readonly FuseDevice _device;
        private bool _disposed;
        private volatile bool _inRead; // in (or about to enter) read(2): the only time to interrupt it

        internal Reader(FuseDevice device)
        {
            ThreadInterrupter.Install();
            _device = device;
            Thread = ThreadInterrupter.CurrentThread();
            lock (device._lock)
                device._readers.Add(this);
        }

        internal nint Thread { get; }

        /// <summary>Waits for a request and reads it; returns its length, or a negative errno
        /// (ESHUTDOWN once <see cref="Wake"/> was called).</summary>
        public int Read(NativeBuffer buffer)
        {
            // Announce the read before looking at the flag (and Wake sets the flag before looking
            // at this): either this reader sees the flag, or Wake sees the reader and signals it.
            _inRead = true;
            Interlocked.MemoryBarrier();
            try
            {
                if (_device._woken)
                    return -(int)Errno.ESHUTDOWN;
                nint r = read(_device._fd, buffer.Pointer, buffer.Length);
                if (r >= 0)
                    return (int)r;
                int errno = Marshal.GetLastPInvokeError();
                return errno == (int)Errno.EINTR && _device._woken ? -(int)Errno.ESHUTDOWN : -errno;
            }
            finally
            {
                _inRead = false;
            }
        }

        /// <summary>Interrupts the reader if it is in read(2); a reader handling a request is left
        /// alone (its handler's system calls must not see EINTR), it sees the flag when it returns.</summary>
        internal void InterruptRead()
        {
            if (_inRead)
                ThreadInterrupter.Interrupt(Thread);
        }

        public void Dispose()
        {
            lock (_device._lock)
            {
                if (_disposed)
                    return;
                _disposed = true;
                _device._readers.Remove(this); // before the thread ends: no signal to a stale pthread_t
            }
        }
    }

    /// <summary>Makes every reader return ESHUTDOWN (and every later read). Returns at once; a
    /// background thread interrupts the readers' reads until each has left (a reader between its
    /// check and its read(2) misses one signal, never the next). A reader held up in a handler
    /// leaves when the handler returns; the waker gives up after 5 s.</summary>
    public void Wake()
    {
        _woken = true;
        Interlocked.MemoryBarrier();
        var waker = new Thread(() =>
        {
            for (int round = 0; round < 500; round++)
            {
                lock (_lock)
                {
                    if (_readers.Count == 0)
                        return;
                    foreach (var r in _readers)
                        r.InterruptRead();
                }
                System.Threading.Thread.Sleep(round == 0 ? 1 : 10);
            }
        })
        { IsBackground = true, Name = "fuse-wake" };
        waker.Start();
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
}
