using NetnsFs.Client;
using NetnsFs.FileSystem.Limits;
using NetnsFs.Interop;
using NetnsFs.Net.Readiness;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Handoff;

/// <summary>One client of the handoff socket: reads requests as they come, one at a time, answers
/// each with an errno and, on success, the socket. A client that goes away mid-request only
/// cancels its own making.
/// Bounded, since every user's deferred work shares the one readiness thread and the daemon's fds:
/// at most <see cref="RequestsPerEvent"/> requests per readiness event (then it is requeued behind
/// the other ready fds), at most the limits' handoff connections per uid and per mount (past them
/// the connection gets one EMFILE reply and is closed), and closed after the idle time without a
/// request (a request being served is not idle).</summary>
internal sealed class HandoffConnection : IReadinessListener, IDisposable
{
    /// <summary>Requests answered in one turn on the readiness thread: a client pipelining bad
    /// requests (each answered at once) would otherwise hold the thread for as long as it sends.</summary>
    public const int RequestsPerEvent = 16;

    /// <summary>Accepts per readiness event of a handoff listener, for the same reason.</summary>
    public const int AcceptsPerEvent = 16;

    /// <summary>What a handoff server's connections are held to: the mount's limits and the idle time.</summary>
    internal sealed record Settings(MountLimits Limits, TimeSpan Idle);

    private readonly HandoffServer _server;
    private readonly NetSocket _socket;
    private readonly HandoffPeer _peer;
    private readonly ulong _key;
    private readonly Lock _lock = new();
    private readonly byte[] _buffer = new byte[HandoffWire.MaxDatagram + 1];
    private readonly Charge? _charge;
    private readonly Errno _refused;
    private readonly TimeSpan _idle;
    private readonly Timer? _idleTimer;
    private long _lastActive = Environment.TickCount64;
    private IDisposable? _inFlight;
    private bool _serving; // inside Serve (lock held, this thread)
    private bool _closed;

    public HandoffConnection(HandoffServer server, NetSocket socket, HandoffPeer peer)
    {
        _server = server;
        _socket = socket;
        _peer = peer;
        _charge = server.Settings.Limits.Take(Resource.Handoffs, peer.AtConnect.Uid, out _refused);
        _idle = server.Settings.Idle;
        _key = server.Engine.Register(socket.Fd, this);
        if (_refused != 0)
        {
            // Answered on the readiness thread, after the accept that made it: closing here would
            // have the server forget it before it even knows it.
            server.Engine.Requeue(_key);
            return;
        }
        if (_idle > TimeSpan.Zero)
            _idleTimer = new Timer(_ => CloseIfIdle(), null, _idle, Timeout.InfiniteTimeSpan);
    }

    /// <summary>No request for the idle time, and none being served: closed, so that idle clients
    /// cannot hold the daemon's fds (and the user's count) for ever.</summary>
    private void CloseIfIdle()
    {
        lock (_lock)
        {
            if (_closed)
                return;
            long quiet = Environment.TickCount64 - _lastActive;
            if (_inFlight is null && quiet >= (long)_idle.TotalMilliseconds)
            {
                _server.Log.Debug("handoff connection of pid {Pid} uid {Uid} idle for {Seconds} s: closed", _peer.AtConnect.Pid, _peer.AtConnect.Uid, (int)_idle.TotalSeconds);
                CloseLocked();
                return;
            }
            var next = _inFlight is null ? TimeSpan.FromMilliseconds((long)_idle.TotalMilliseconds - quiet) : _idle;
            _idleTimer?.Change(next, Timeout.InfiniteTimeSpan);
        }
    }

    public void OnReadiness(IoEvents events)
    {
        lock (_lock)
        {
            if (_closed)
                return;
            if (_refused != 0)
            {
                Reply(_refused, null, "too many handoff connections (max_handoffs)");
                CloseLocked();
                return;
            }
            bool hungUp = (events & (IoEvents.Hup | IoEvents.Err | IoEvents.RdHup)) != 0;
            if (hungUp && (_inFlight is not null || (events & IoEvents.In) == 0))
            {
                CloseLocked(); // the client is gone: cancel what it asked for
                return;
            }
            ReadRequests();
        }
    }

    /// <summary>Takes the next request if none is being served (lock held).</summary>
    private void ReadRequests()
    {
        for (int served = 0; !_closed && _inFlight is null; served++)
        {
            if (served == RequestsPerEvent)
            {
                _server.Engine.Requeue(_key); // more may wait: after the other ready fds
                return;
            }
            int n = _socket.Receive(_buffer);
            if (n == -(int)Errno.EAGAIN)
                return;
            if (n <= 0)
            {
                CloseLocked(); // EOF or error: the client went away
                return;
            }
            if (HandoffRequest.Decode(_buffer.AsSpan(0, n), out string path, out bool nonBlocking, out string problem) != 0)
            {
                Reply(Errno.EINVAL, null, problem);
                continue;
            }
            _lastActive = Environment.TickCount64;
            Completion<Served>? pending = null;
            pending = new Completion<Served>(served => Finished(pending!, served, path, nonBlocking), served => served.Socket?.Dispose());
            _inFlight = pending;
            _serving = true; // an answer given at once (a refusal) must not read on from inside it
            IDisposable? making;
            try
            {
                making = _server.Serve(_peer, path, nonBlocking, (e, s, text) => pending.Complete(new Served(e, s, text)));
            }
            finally
            {
                _serving = false;
            }
            if (making is not null)
                pending.Attach(making); // cancelled with the request, or at once if it is over already
        }
    }

    /// <summary>What the socket service answered one request with.</summary>
    private readonly record struct Served(Errno Error, NetSocket? Socket, string Text);

    private void Finished(Completion<Served> pending, Served served, string path, bool nonBlocking)
    {
        var (e, socket, text) = served;
        lock (_lock)
        {
            if (_closed || _inFlight != pending)
            {
                socket?.Dispose();
                return;
            }
            _inFlight = null;
            _lastActive = Environment.TickCount64; // idle from the answer on
            if (e == 0)
                _server.Log.Debug("handoff {Path} to {Caller}", path, _peer.AtConnect);
            Reply(e, socket, text, nonBlocking);
            // Answered later (a connect, a lookup): read on from here. Answered at once, inside
            // ReadRequests: its loop reads on; calling it from here would nest one call per
            // pipelined request until the stack overflows (a crash any client could cause).
            if (!_serving)
                ReadRequests();
        }
    }

    private void Reply(Errno e, NetSocket? socket, string text, bool nonBlocking = false)
    {
        Span<byte> reply = stackalloc byte[HandoffWire.MaxReply];
        int len = HandoffWire.EncodeReply(reply, (int)e, text);
        int fd = -1;
        if (socket is not null)
        {
            socket.SetBlocking(!nonBlocking); // a socket handed to a program blocks, as socket(2) makes it, unless it asked otherwise
            fd = socket.Fd;
        }
        int sent = FdPassing.Send(_socket.Fd, reply[..len], fd);
        socket?.Dispose(); // the client has its own copy now (or none, if it went away)
        if (sent < 0)
            CloseLocked();
    }

    private void CloseLocked()
    {
        if (_closed)
            return;
        _closed = true;
        _idleTimer?.Dispose();
        _charge?.Dispose();
        _inFlight?.Dispose();
        _inFlight = null;
        _server.Engine.Unregister(_socket.Fd, _key);
        _socket.Dispose();
        _peer.Dispose();
        _server.Forget(this);
    }

    public void Dispose()
    {
        lock (_lock)
            CloseLocked();
    }
}
