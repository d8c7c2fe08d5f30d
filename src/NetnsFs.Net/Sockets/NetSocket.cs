using System.Runtime.InteropServices;
using NetnsFs.Interop;
using NetnsFs.Net.Identity;
using NetnsFs.Net.Namespaces;
using NetnsFs.Net.Readiness;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Net.Sockets;

/// <summary>A non-blocking, close-on-exec socket made inside a namespace. Every call returns at
/// once with a count or an errno (EAGAIN when it would wait); waiting is the readiness engine's job.</summary>
public sealed unsafe class NetSocket : IDisposable
{
    private int _fd;

    private NetSocket(int fd, SocketKind kind)
    {
        _fd = fd;
        Kind = kind;
    }

    public SocketKind Kind { get; }

    public int Fd => _fd;

    public bool IsClosed => Volatile.Read(ref _fd) < 0;

    /// <summary>socket(2) inside <paramref name="ns"/>, made as <paramref name="caller"/> (see
    /// <see cref="ThreadCredentials"/>): the kernel checks the caller's right to the kind (raw,
    /// ping), and the socket's owner and groups are the caller's (what `ss -e` and iptables'
    /// owner match see). Null: the daemon's own socket.</summary>
    public static NetSocket Create(NetNamespace ns, SocketKind kind, Caller? caller = null)
    {
        int fd;
        Errno errno;
        if (ns.Proxy is { } proxy)
        {
            // Made by the process inside, with its rights there (the daemon's checks come first).
            fd = proxy.Socket(kind, out errno);
        }
        else
        {
            // The errno is taken inside: leaving the scopes makes system calls of its own.
            using (ns.Enter())
            using (ThreadCredentials.Assume(caller ?? Caller.Daemon))
            {
                fd = socket(kind.Family, kind.Type | SOCK_NONBLOCK | SOCK_CLOEXEC, kind.Protocol);
                errno = fd < 0 ? LastErrno() : 0;
            }
        }
        if (fd < 0)
            throw new NetException(errno, $"socket({kind.Family}, {kind.Type}, {kind.Protocol}): {Marshal.GetPInvokeErrorMessage((int)errno)}");
        return new NetSocket(fd, kind);
    }

    /// <summary>A unix socket bound to a filesystem path (the handoff socket), made in the daemon's
    /// own namespace: path sockets are found through the filesystem, not the network namespace.</summary>
    public static NetSocket BindPath(string path, int type)
    {
        var kind = new SocketKind(SocketKind.AF_UNIX, type, 0);
        int fd = socket(kind.Family, kind.Type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            throw NetException.FromLastError("socket(AF_UNIX)");
        var s = new NetSocket(fd, kind);
        var sa = new SockAddr();
        var b = sa.Bytes;
        b[0] = SocketKind.AF_UNIX;
        int n = System.Text.Encoding.UTF8.GetBytes(path, b[2..^1]);
        sa.Length = 2 + n + 1;
        var e = s.Bind(in sa);
        if (e != 0)
        {
            s.Dispose();
            throw new NetException(e, $"bind {path}: {Marshal.GetPInvokeErrorMessage((int)e)}");
        }
        return s;
    }

    /// <summary>SO_PEERCRED of a connected unix socket: the peer's pid, uid and gid at connect time.</summary>
    public (int Pid, uint Uid, uint Gid) PeerCredentials()
    {
        int* cred = stackalloc int[3];
        int len = 12;
        if (getsockopt(_fd, SOL_SOCKET, SO_PEERCRED, cred, &len) != 0)
            return (0, uint.MaxValue, uint.MaxValue);
        return (cred[0], (uint)cred[1], (uint)cred[2]);
    }

    /// <summary>SO_PEERPIDFD (Linux 6.5): a pidfd of the peer that connected, taken by the kernel at
    /// connect, so a pid reused since cannot stand in for it; -1 where the kernel lacks it.</summary>
    public int PeerPidfd()
    {
        int pidfd = -1, len = sizeof(int);
        return getsockopt(_fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 ? pidfd : -1;
    }

    /// <summary>SO_PEERGROUPS: the peer's supplementary groups at connect time (null if unknown).</summary>
    public uint[]? PeerGroups()
    {
        int len = 64 * sizeof(uint);
        for (int attempt = 0; attempt < 2; attempt++)
        {
            var groups = new uint[len / sizeof(uint)];
            fixed (uint* g = groups)
            {
                if (getsockopt(_fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0)
                    return groups[..(len / sizeof(uint))];
            }
            if (LastErrno() != Errno.ERANGE)
                return null; // len now says how much room they need
        }
        return null;
    }

    /// <summary>Sets or clears O_NONBLOCK: a socket handed to a program is blocking, as socket(2) makes it.</summary>
    public void SetBlocking(bool blocking)
    {
        int flags = fcntl(_fd, F_GETFL, 0);
        fcntl(_fd, F_SETFL, blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK);
    }

    /// <summary>Wraps an fd returned by accept4 on a listener of the same kind.</summary>
    public static NetSocket Adopt(int fd, SocketKind kind) => new(fd, kind);

    private static Errno LastErrno() => (Errno)Marshal.GetLastPInvokeError();

    /// <summary>Starts a connect: 0 (done), EINPROGRESS (wait for writable, then <see cref="TakeError"/>),
    /// or the error.</summary>
    public Errno Connect(in SockAddr address, Caller? caller = null)
    {
        fixed (SockAddr* sa = &address)
        {
            Errno e;
            // As the caller: a unix peer's SO_PEERCRED is taken from the connecting thread.
            using (ThreadCredentials.Assume(caller ?? Caller.Daemon))
                e = connect(_fd, (byte*)sa, address.Length) == 0 ? 0 : LastErrno();
            if (e == 0)
                return 0;
            return e == Errno.EAGAIN && Kind.Family == SocketKind.AF_UNIX ? Errno.EAGAIN : e;
        }
    }

    public Errno Bind(in SockAddr address)
    {
        fixed (SockAddr* sa = &address)
            return bind(_fd, (byte*)sa, address.Length) == 0 ? 0 : LastErrno();
    }

    public Errno Listen(int backlog) => listen(_fd, backlog) == 0 ? 0 : LastErrno();

    /// <summary>bind and listen as <paramref name="caller"/>: the kernel checks a low port against
    /// the caller (EACCES), and a unix listener's SO_PEERCRED, which its clients read, is the caller's.</summary>
    public Errno BindAndListen(in SockAddr address, int backlog, Caller caller)
    {
        using (ThreadCredentials.Assume(caller))
        {
            var e = Bind(in address);
            return e != 0 ? e : Listen(backlog);
        }
    }

    /// <summary>accept4: the new socket's fd (non-blocking, close-on-exec) or -errno. Made as
    /// <paramref name="caller"/> (the new socket file's credentials, which iptables' owner match
    /// reads, are the accepting thread's); null: the daemon.</summary>
    public int Accept(Caller? caller = null)
    {
        using (ThreadCredentials.Assume(caller ?? Caller.Daemon))
        {
            int fd = accept4(_fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
            return fd >= 0 ? fd : -(int)LastErrno();
        }
    }

    /// <summary>recv without waiting: bytes read (0 at EOF) or -errno.</summary>
    public int Receive(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            nint n = recv(_fd, p, buffer.Length, MSG_DONTWAIT);
            return n >= 0 ? (int)n : -(int)LastErrno();
        }
    }

    /// <summary>send without waiting and without SIGPIPE: bytes taken or -errno (EPIPE on a closed peer).</summary>
    public int Send(ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            nint n = send(_fd, p, data.Length, MSG_DONTWAIT | MSG_NOSIGNAL);
            return n >= 0 ? (int)n : -(int)LastErrno();
        }
    }

    /// <summary>Makes close(2) reset the connection (SO_LINGER 0) instead of ending it cleanly, so
    /// that the peer learns that data was lost.</summary>
    public void ResetOnClose()
    {
        var linger = new Interop.Libc.Linger { OnOff = 1, Seconds = 0 };
        setsockopt(_fd, SOL_SOCKET, SO_LINGER, &linger, sizeof(Interop.Libc.Linger));
    }

    /// <summary>TCP_NODELAY: each send goes out at once, whatever is still unacknowledged (no Nagle).</summary>
    public Errno SendWithoutDelay() => SetOption(IPPROTO_TCP, TCP_NODELAY, 1);

    public Errno Shutdown(int how) => shutdown(_fd, how) == 0 ? 0 : LastErrno();

    /// <summary>SO_ERROR: the pending error (and clears it), e.g. the result of a finished connect.</summary>
    public Errno TakeError()
    {
        int value = 0, len = sizeof(int);
        return getsockopt(_fd, SOL_SOCKET, SO_ERROR, &value, &len) == 0 ? (Errno)value : LastErrno();
    }

    public Errno SetOption(int level, int name, int value) =>
        setsockopt(_fd, level, name, &value, sizeof(int)) == 0 ? 0 : LastErrno();

    public SockAddr LocalAddress()
    {
        var sa = new SockAddr();
        int len = SockAddr.Capacity;
        getsockname(_fd, (byte*)&sa, &len);
        sa.Length = Math.Min(len, SockAddr.Capacity);
        return sa;
    }

    public SockAddr RemoteAddress()
    {
        var sa = new SockAddr();
        int len = SockAddr.Capacity;
        if (getpeername(_fd, (byte*)&sa, &len) != 0)
            len = 0;
        sa.Length = Math.Min(len, SockAddr.Capacity);
        return sa;
    }

    /// <summary>TCP state from TCP_INFO (tcpi_state): "ESTABLISHED", "LISTEN", ...; for other
    /// sockets "CONNECTED" when they have a peer, else "UNCONNECTED".</summary>
    public string StateName()
    {
        if (Kind.IsTcp)
        {
            byte* info = stackalloc byte[256];
            int len = 256;
            if (getsockopt(_fd, IPPROTO_TCP, TCP_INFO, info, &len) == 0 && len > 0)
                return info[0] < TcpStates.Length ? TcpStates[info[0]] : "UNKNOWN";
        }
        return RemoteAddress().Length > 2 ? "CONNECTED" : "UNCONNECTED";
    }

    private static readonly string[] TcpStates =
    [
        "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
        "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
    ];

    /// <summary>The socket's readiness now, as poll(2) reports it, for <paramref name="events"/>.</summary>
    public IoEvents PollNow(IoEvents events)
    {
        PollFd pfd = new() { Fd = _fd, Events = (short)events };
        return poll(&pfd, 1, 0) > 0 ? (IoEvents)(ushort)pfd.REvents : IoEvents.None;
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            close(fd);
    }

    /// <summary>Undoes <see cref="ResetOnClose"/> (SO_LINGER off): close(2) ends the connection
    /// cleanly again, and the kernel sends what its buffer holds.</summary>
    public Errno CloseNormally()
    {
        var linger = new Interop.Libc.Linger { OnOff = 0, Seconds = 0 };
        return setsockopt(_fd, SOL_SOCKET, SO_LINGER, &linger, sizeof(Interop.Libc.Linger)) == 0 ? 0 : LastErrno();
    }

    /// <summary>SO_REUSEADDR: a listener may bind its port while connections of an earlier one
    /// are still in TIME_WAIT (a listener removed and made again at once).</summary>
    public Errno ReuseAddress() => SetOption(SOL_SOCKET, SO_REUSEADDR, 1);

    /// <summary>IPV6_V6ONLY off: an IPv6 socket bound to the any address also takes IPv4 clients
    /// (as ::ffff:a.b.c.d), so that one socket is "all addresses" of both families.</summary>
    public Errno AcceptIPv4Too() => SetOption(IPPROTO_IPV6, IPV6_V6ONLY, 0);
}
