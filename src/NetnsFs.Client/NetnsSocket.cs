using System.Net.Sockets;
using NetnsFs.Interop;

namespace NetnsFs.Client;

/// <summary>Real sockets from a netnsfs mount: made by the daemon inside the mount's network
/// namespace and handed over, so setsockopt, sendmsg and accept work on them as on any socket.
/// <code>using var s = NetnsSocket.Open("/mnt/ns1", "tcp/127.0.0.1/80");</code></summary>
public static class NetnsSocket
{
    /// <summary>A socket for <paramref name="path"/> (any path that opens as a socket file:
    /// "tcp/HOST/PORT", "udp/HOST/PORT", "tcp/listen/PORT", "unix/@NAME", "inet;stream;tcp").
    /// Throws <see cref="SocketException"/> with the daemon's errno when it refuses.</summary>
    public static Socket Open(string mountDir, string path)
    {
        int fd = OpenFd(mountDir, path);
        return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
    }

    /// <summary>The same as a raw fd (close-on-exec), for callers that pass it on.</summary>
    public static int OpenFd(string mountDir, string path)
    {
        using var conn = Connect(mountDir);
        return Request(conn, path);
    }

    /// <summary>A connection to <paramref name="mountDir"/>'s handoff socket, checked to be served
    /// by the daemon (<see cref="HandoffTrust"/>: root or the mount's owner, else EPERM) before
    /// anything is sent. Several <see cref="Request"/>s may share it.</summary>
    public static Socket Connect(string mountDir)
    {
        var conn = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        try
        {
            conn.Connect(new UnixDomainSocketEndPoint(Path.Combine(mountDir, HandoffWire.LinkName)));
            HandoffTrust.Verify(conn, mountDir);
            return conn;
        }
        catch
        {
            conn.Dispose();
            throw;
        }
    }

    /// <summary>One request on a handoff connection from <see cref="Connect"/> (several may share
    /// one). The answer must carry exactly one fd, and a socket: anything else (two fds, a
    /// truncated control message, a pipe) is closed and refused.</summary>
    /// <param name="nonBlocking">A non-blocking socket, and for a dial path one whose connect may
    /// still be under way (as connect(2) on a non-blocking socket leaves it: poll for writing, then
    /// SO_ERROR).</param>
    public static int Request(Socket handoff, string path, bool nonBlocking = false)
    {
        handoff.Send(HandoffWire.EncodeRequest(path, nonBlocking));
        var reply = new byte[HandoffWire.MaxReply];
        int n = FdPassing.Receive((int)handoff.Handle, reply, out int fd);
        if (n < 0)
            throw new NetnsSocketException(-n, $"{path}: {(-n == (int)Errno.EPROTO ? "the handoff reply carried more than one fd" : new SocketException(-n).Message)}");
        var (errno, text) = HandoffWire.DecodeReply(reply.AsSpan(0, n));
        if (errno != 0 || fd < 0)
        {
            FdPassing.Close(fd);
            throw new NetnsSocketException(errno == 0 ? (int)Errno.EPROTO : errno, $"{path}: {text}");
        }
        if (FileStatus.OfFd(fd, out var st) != 0 || st.Type != FileStatus.Socket)
        {
            FdPassing.Close(fd);
            throw new NetnsSocketException((int)Errno.ENOTSOCK, $"{path}: the handoff reply carried an fd that is not a socket");
        }
        return fd;
    }
}

/// <summary>The daemon refused a handoff: <see cref="Errno"/> is its errno (ECONNREFUSED, EACCES, ...).</summary>
public sealed class NetnsSocketException(int errno, string message) : SocketException(errno)
{
    public int Errno { get; } = errno;

    public override string Message { get; } = message;
}
