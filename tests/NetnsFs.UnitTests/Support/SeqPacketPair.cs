using System.Runtime.InteropServices;

namespace NetnsFs.UnitTests.Support;

/// <summary>A connected AF_UNIX SOCK_SEQPACKET pair: one read is one message, as on /dev/fuse, so
/// one end stands in for the device and the test plays the kernel on the other. Needs no privilege.
/// Only the calls the kernel's end makes are here (the device end belongs to FuseDevice, which
/// closes it).</summary>
internal static unsafe partial class SeqPacketPair
{
    private const string Libc = "libc";
    private const int AF_UNIX = 1;
    private const int SOCK_SEQPACKET = 5;
    private const int SOCK_CLOEXEC = 0x80000;
    private const int SHUT_RDWR = 2;
    private const short POLLIN = 1;
    private const int EINTR = 4;

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int socketpair(int domain, int type, int protocol, int* sv);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial nint read(int fd, byte* buf, nint count);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial nint write(int fd, byte* buf, nint count);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int poll(PollFd* fds, nuint nfds, int timeout);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int shutdown(int fd, int how);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int close(int fd);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    /// <summary>Both ends, close-on-exec.</summary>
    public static (int A, int B) Open()
    {
        int* sv = stackalloc int[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
            throw new IOException($"socketpair: errno {Marshal.GetLastPInvokeError()}");
        return (sv[0], sv[1]);
    }

    /// <summary>One read(2): the message length, or -errno.</summary>
    public static int Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            nint n = read(fd, p, buffer.Length);
            return n >= 0 ? (int)n : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>One write(2) of one message: the byte count, or -errno.</summary>
    public static int Write(int fd, ReadOnlySpan<byte> message)
    {
        fixed (byte* p = message)
        {
            nint n = write(fd, p, message.Length);
            return n >= 0 ? (int)n : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>Whether <paramref name="fd"/> becomes readable within <paramref name="timeout"/>.</summary>
    public static bool WaitReadable(int fd, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var pfd = new PollFd { Fd = fd, Events = POLLIN };
            int ms = Math.Max(0, (int)(deadline - DateTime.UtcNow).TotalMilliseconds);
            int r = poll(&pfd, 1, ms);
            if (r > 0)
                return true;
            if (r == 0)
                return false;
            if (Marshal.GetLastPInvokeError() != EINTR)
                throw new IOException($"poll: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Hangs up and closes one end: the other end's reads return 0.</summary>
    public static void HangUp(int fd)
    {
        shutdown(fd, SHUT_RDWR);
        close(fd);
    }
}
