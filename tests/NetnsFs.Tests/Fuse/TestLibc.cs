using System.Runtime.InteropServices;

namespace NetnsFs.Tests.Fuse;

/// <summary>The raw syscalls the FUSE tests make themselves: blocking reads and writes on files of a
/// mount (no managed buffering, no retries). The fake kernel's SOCK_SEQPACKET pair is the unit
/// project's (NetnsFs.UnitTests, Support/SeqPacketPair.cs).</summary>
internal static unsafe partial class TestLibc
{
    private const string Libc = "libc";

    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial nint read(int fd, byte* buf, nint count);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial nint write(int fd, byte* buf, nint count);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int close(int fd);

    /// <summary>open(2); the fd, or -errno.</summary>
    public static int Open(string path, int flags)
    {
        int fd = open(path, flags | O_CLOEXEC);
        return fd >= 0 ? fd : -Marshal.GetLastPInvokeError();
    }

    /// <summary>One read(2); the byte count, or -errno.</summary>
    public static int Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            nint n = read(fd, p, buffer.Length);
            return n >= 0 ? (int)n : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>One write(2); the byte count, or -errno.</summary>
    public static int Write(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            nint n = write(fd, p, data.Length);
            return n >= 0 ? (int)n : -Marshal.GetLastPInvokeError();
        }
    }
}

/// <summary>An fd that is closed on dispose.</summary>
internal sealed class OwnedFd : IDisposable
{
    private int _fd;

    public OwnedFd(int fd) => _fd = fd;

    public int Fd => _fd;

    /// <summary>Opens <paramref name="path"/> or fails the test with the errno.</summary>
    public static OwnedFd Open(string path, int flags)
    {
        int fd = TestLibc.Open(path, flags);
        if (fd < 0)
            throw new IOException($"open {path}: errno {-fd}");
        return new OwnedFd(fd);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            TestLibc.close(fd);
    }
}
