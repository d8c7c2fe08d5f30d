using System.Runtime.InteropServices;
using Mono.Unix.Native;
using static NetnsFs.Fuse.Native.FuseLibc;

namespace NetnsFs.Fuse.Session;

/// <summary>An open /dev/fuse connection. Every reply and notification is one write(2) or writev(2):
/// the kernel takes a message whole or not at all, so concurrent writers never interleave.</summary>
public sealed unsafe class FuseDevice : IDisposable
{
    private int _fd;

    public FuseDevice(int fd) => _fd = fd;

    public int Fd => _fd;

    /// <summary>Reads one request; returns its length, or a negative errno.</summary>
    public int Read(NativeBuffer buffer)
    {
        nint n = read(_fd, buffer.Pointer, buffer.Length);
        return n >= 0 ? (int)n : -Marshal.GetLastPInvokeError();
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
