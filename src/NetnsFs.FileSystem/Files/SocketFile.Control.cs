using System.Runtime.InteropServices;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Identity;
using NetnsFs.Net.Readiness;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Files;

/// <summary>What conn/N/ctl does to a socket file's socket (a triple's, unconnected when opened),
/// each with the writer's credentials, so that the kernel checks and records the writer as bind(2),
/// connect(2) and listen(2) would: bind, connect (a ctl write that waits, deferred, for the
/// connect's end and answers with its errno), listen, and the accept that turns a listening file
/// into its first connection.
/// <para>A listening file is a one-shot `nc -l`: its first read or write (not a poll) accepts one
/// client, and that connection then takes the listening socket's place at the same fd number
/// (dup3), which closes the listener; clients queued behind it are reset then. The socket, its
/// write queue and everything keyed by its fd stay; only the epoll registration is made anew,
/// since epoll knows a file, not a number. Until a client comes, reads and writes wait (EAGAIN
/// with O_NONBLOCK) and poll reports the file readable and writable once one waits.</para></summary>
public sealed partial class SocketFile
{
    /// <summary>One client is taken; a few more may queue meanwhile (and are reset with the listener).</summary>
    private const int ListenBacklog = 16;

    private ConnectWait? _connectWait;  // a ctl write waiting for the connect it started
    private Action<FuseRequest>? _cancelConnect;
    private bool _listening;
    private Caller? _acceptAs;           // who listened: the accepted socket is made with its credentials
    private List<FuseRequest>? _writersBeforeAccept; // writes that wait for the first client
    private Errno _failed;               // the accepted connection could not be watched: every call answers this

    /// <summary>bind(2) of the local address as <paramref name="caller"/>: the kernel refuses a low
    /// port to a caller without CAP_NET_BIND_SERVICE (EACCES), a second bind (EINVAL), an address
    /// in use (EADDRINUSE). <paramref name="reuseAddress"/>: SO_REUSEADDR first (a listener, as
    /// tcp/listen/ has, so that a port whose last connection is in TIME_WAIT can listen again).</summary>
    public Errno Bind(in SockAddr address, Caller caller, bool reuseAddress)
    {
        lock (_lock)
        {
            if (_closed)
                return Errno.EBADF;
            if (reuseAddress && Socket.Kind.Family != SocketKind.AF_UNIX)
                Socket.ReuseAddress();
            try
            {
                using (ThreadCredentials.Assume(caller))
                    return Socket.Bind(in address);
            }
            catch (NetException e)
            {
                return e.Errno;
            }
        }
    }

    /// <summary>listen(2) as <paramref name="caller"/> (a unix listener's SO_PEERCRED, which its
    /// client reads, is the caller's): from now on the first read or write accepts a client. The
    /// kernel's errors are the answer: EOPNOTSUPP for a datagram socket, EINVAL for a connected one.</summary>
    public Errno Listen(Caller caller)
    {
        lock (_lock)
        {
            if (_closed)
                return Errno.EBADF;
            if (_failed != 0)
                return _failed;
            if (_listening)
                return 0; // as listen(2) again on a listening socket
            Errno e;
            try
            {
                using (ThreadCredentials.Assume(caller))
                    e = Socket.Listen(ListenBacklog);
            }
            catch (NetException x)
            {
                e = x.Errno;
            }
            if (e != 0)
                return e;
            _listening = true;
            _acceptAs = caller;
            ArmLocked(); // a poll scheduled before now waits for a client
            Log?.Debug("{Socket}: listening on {Address}", Description, Socket.LocalAddress());
            return 0;
        }
    }

    /// <summary>connect(2) as <paramref name="caller"/>, for the ctl write <paramref name="req"/>,
    /// which it answers (<paramref name="written"/> bytes on success, else the connect's errno):
    /// at once if the connect ends at once, else when the socket turns writable (deferred; an
    /// interrupt answers EINTR and the connect goes on, as with connect(2)). With
    /// <paramref name="nonBlocking"/> a connect under way answers EINPROGRESS, and its failure is
    /// the error of the socket file's next read or write. Meanwhile reads and writes of the file
    /// wait for the connect (EAGAIN with O_NONBLOCK), as after an O_NONBLOCK open of a dial path.
    /// A second connect while one is under way is EALREADY; the kernel answers the rest (EISCONN).
    /// <paramref name="deferred"/>: the caller deferred <paramref name="req"/> already (a name was
    /// looked up first), with an interrupt handler that calls <see cref="AbandonConnect"/>.</summary>
    public void Connect(FuseRequest req, in SockAddr target, Caller caller, bool nonBlocking, uint written, bool deferred = false)
    {
        Errno? now;
        lock (_lock)
            now = ConnectLocked(req, in target, caller, nonBlocking, written, deferred);
        if (now is { } e)
            Answer(req, written, e);
    }

    private Errno? ConnectLocked(FuseRequest req, in SockAddr target, Caller caller, bool nonBlocking, uint written, bool deferred)
    {
        if (_closed)
            return Errno.EBADF;
        if (_failed != 0)
            return _failed;
        if (_connecting)
            return Errno.EALREADY;
        Errno e;
        try
        {
            e = Socket.Connect(in target, caller);
        }
        catch (NetException x)
        {
            return x.Errno;
        }
        if (e != Errno.EINPROGRESS)
            return e;
        _connecting = true;
        // A loopback connect is usually over by the time connect(2) returns: look before waiting.
        if (Socket.PollNow(IoEvents.Writable) != IoEvents.None)
        {
            _connecting = false;
            ArmLocked();
            return ConnectResult(in target);
        }
        ArmLocked();
        if (nonBlocking)
            return Errno.EINPROGRESS;
        _connectWait = new ConnectWait { Request = req, Written = written, Target = target };
        if (!deferred)
            req.Defer(_cancelConnect ??= CancelConnect);
        return null;
    }

    private static void Answer(FuseRequest req, uint written, Errno e)
    {
        if (e == 0)
            req.ReplyWrite(written);
        else
            req.ReplyError(e);
    }

    /// <summary>The connect ended (the socket turned writable): a ctl write waiting for it gets its
    /// result; without one the error stays for the next read or write, as after connect(2) on a
    /// non-blocking socket.</summary>
    private void ConnectEndedLocked()
    {
        _connecting = false;
        if (_connectWait is not { } waiting)
            return;
        _connectWait = null;
        Answer(waiting.Request, waiting.Written, ConnectResult(in waiting.Target));
    }

    /// <summary>The result of a connect that was under way and is over, asked for as programs ask:
    /// connect(2) again. Unlike reading SO_ERROR, that also ends the kernel's "connecting" state:
    /// a connected socket then answers a further connect EISCONN, and a refused one may connect
    /// anew (SO_ERROR alone would leave it to answer ECONNABORTED).</summary>
    private Errno ConnectResult(in SockAddr target)
    {
        var e = Socket.Connect(in target);
        return e == Errno.EISCONN ? 0 : e;
    }

    private void CancelConnect(FuseRequest r)
    {
        AbandonConnect(r);
        r.ReplyError(Errno.EINTR);
    }

    /// <summary>The ctl write <paramref name="r"/> waits no more (its caller was interrupted): the
    /// connect goes on unanswered, and the file's reads and writes still wait for it.</summary>
    public void AbandonConnect(FuseRequest r)
    {
        lock (_lock)
        {
            if (_connectWait?.Request == r)
                _connectWait = null;
        }
    }

    /// <summary>The file is closed: a ctl write waiting for a connect is answered EBADF.</summary>
    private void EndControlLocked()
    {
        _connectWait?.Request.ReplyError(Errno.EBADF);
        _connectWait = null;
        _writersBeforeAccept = null; // the write queue answers them (EBADF)
        _acceptAs = null;
    }

    /// <summary>What a poll of a listening file reports: readable and writable (as asked) once a
    /// client waits, since the next read or write then accepts it without waiting; else nothing.</summary>
    private IoEvents ListenerPollNow(IoEvents asked)
    {
        var now = Socket.PollNow(IoEvents.In | IoEvents.Err | IoEvents.Hup);
        return (now & IoEvents.In) != 0
            ? asked & (IoEvents.In | IoEvents.RdNorm | IoEvents.Out | IoEvents.WrNorm)
            : now & (IoEvents.Err | IoEvents.Hup);
    }

    /// <summary>epoll reported the listening socket: a client waits. Accepted at once if a read or
    /// write waits for one; a poll alone only hears of it (readable and writable). Returns the events
    /// to go on with: after an accept, the connection's, to be found out by trying.</summary>
    private IoEvents OnListenerReadiness(IoEvents events)
    {
        if ((events & (IoEvents.In | IoEvents.Err | IoEvents.Hup)) == 0)
            return IoEvents.None;
        if (!_reads.IsWaiting && !_writes.IsWaiting)
            return IoEvents.In | IoEvents.Out;
        var e = TryAcceptLocked();
        if (e == Errno.EAGAIN)
            return IoEvents.None; // taken back meanwhile (the client went): wait on
        if (e != 0)
        {
            FailWaitingLocked(e);
            return IoEvents.Err;
        }
        return IoEvents.In | IoEvents.Out;
    }

    /// <summary>If the file listens, accepts its client: 0 once it is a connection (or was not
    /// listening), EAGAIN while no client waits, or the errno of a failed accept (the reads and
    /// writes that asked get it; the file listens on).</summary>
    private Errno TryAcceptLocked()
    {
        if (!_listening)
            return 0;
        int fd;
        try
        {
            fd = Socket.Accept(_acceptAs);
        }
        catch (NetException e)
        {
            return e.Errno;
        }
        if (fd < 0)
            return (Errno)(-fd);
        // Unregistered first: EPOLL_CTL_DEL names an fd, which will be the connection's in a moment.
        _engine.Unregister(Socket.Fd, _engineKey);
        _armed = IoEvents.None;
        var moved = Libc.dup3(fd, Socket.Fd, Libc.O_CLOEXEC) < 0 ? (Errno)Marshal.GetLastPInvokeError() : 0;
        Libc.close(fd);
        if (moved != 0)
        {
            Log?.Warning("{Socket}: the accepted connection cannot take the listener's place: {Errno}", Description, moved);
            Watch();
            return moved; // still the listener; that client was closed
        }
        _listening = false;
        _acceptAs = null;
        if (Socket.Kind.IsTcp)
            Socket.SendWithoutDelay();
        Log?.Debug("{Socket}: accepted {Peer}; the listening socket is closed", Description, Socket.RemoteAddress());
        Watch();
        _writersBeforeAccept = null;
        return _failed;
    }

    /// <summary>Registers the socket (again) with the engine, disarmed. Where it cannot be watched
    /// (epoll_ctl failed: max_user_watches, memory) nothing would ever wake its waiters: they and
    /// every later call get the errno.</summary>
    private void Watch()
    {
        try
        {
            _engineKey = _engine.RegisterQuiet(Socket.Fd, this);
        }
        catch (NetException e)
        {
            _engineKey = 0;
            _failed = e.Errno;
            Log?.Warning("{Socket}: cannot be watched after the accept: {Message}", Description, e.Message);
            FailWaitingLocked(e.Errno);
        }
    }

    /// <summary>Answers the reads and the writes that waited for a client with <paramref name="e"/>.</summary>
    private void FailWaitingLocked(Errno e)
    {
        _reads.FailAll(e);
        if (_writersBeforeAccept is not { } writers)
            return;
        _writersBeforeAccept = null;
        foreach (var r in writers)
        {
            if (_writes.TakeWaiting(r) is { } w)
            {
                w.Return();
                r.ReplyError(e);
            }
        }
    }

    /// <summary>A ctl write waiting for its connect: made only then (a sockaddr is 132 bytes, and a
    /// mount may hold many thousands of socket files that never connect by ctl).</summary>
    private sealed class ConnectWait
    {
        public required FuseRequest Request { get; init; }

        /// <summary>What the write answers on success.</summary>
        public required uint Written { get; init; }

        /// <summary>Where it connects: asked again for the result (<see cref="ConnectResult"/>).</summary>
        public SockAddr Target;
    }
}
