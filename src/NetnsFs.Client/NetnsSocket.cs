using System.Net.Sockets;

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
        using var conn = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        conn.Connect(new UnixDomainSocketEndPoint(Path.Combine(mountDir, HandoffWire.LinkName)));
        return Request(conn, path);
    }

    /// <summary>One request on an open handoff connection (several may share one).</summary>
    public static int Request(Socket handoff, string path)
    {
        handoff.Send(HandoffWire.EncodeRequest(path));
        var reply = new byte[HandoffWire.MaxReply];
        int n = FdPassing.Receive((int)handoff.Handle, reply, out int fd);
        if (n < 0)
            throw new SocketException(-n);
        var (errno, text) = HandoffWire.DecodeReply(reply.AsSpan(0, n));
        if (errno != 0 || fd < 0)
        {
            if (fd >= 0)
                new SafeSocketHandle(fd, true).Dispose();
            throw new NetnsSocketException(errno == 0 ? 71 : errno, $"{path}: {text}");
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
