using System.Text;
using Mono.Unix.Native;
using NetnsFs.Client;
using NetnsFs.Net.Readiness;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Handoff;

/// <summary>One client of the handoff socket: reads requests as they come, one at a time, answers
/// each with an errno and, on success, the socket. A client that goes away mid-request only
/// cancels its own making.</summary>
internal sealed class HandoffConnection : IReadinessListener, IDisposable
{
    private readonly HandoffServer _server;
    private readonly NetSocket _socket;
    private readonly Caller _caller;
    private readonly ulong _key;
    private readonly Lock _lock = new();
    private readonly byte[] _buffer = new byte[HandoffWire.MaxRequest + 1];
    private IDisposable? _inFlight;
    private bool _closed;

    public HandoffConnection(HandoffServer server, NetSocket socket, Caller caller)
    {
        _server = server;
        _socket = socket;
        _caller = caller;
        _key = server.Engine.Register(socket.Fd, this);
    }

    public void OnReadiness(IoEvents events)
    {
        lock (_lock)
        {
            if (_closed)
                return;
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
        while (!_closed && _inFlight is null)
        {
            int n = _socket.Receive(_buffer);
            if (n == -(int)Errno.EAGAIN)
                return;
            if (n <= 0)
            {
                CloseLocked(); // EOF or error: the client went away
                return;
            }
            if (HandoffRequest.Decode(_buffer.AsSpan(0, n), out string path, out string problem) != 0)
            {
                Reply(Errno.EINVAL, null, problem);
                continue;
            }
            var pending = new Pending();
            _inFlight = pending;
            var making = _server.Serve(_caller, path, (e, s, text) => Finished(pending, e, s, text, path));
            if (_inFlight == pending)
                pending.Making = making;
            else
                making?.Dispose();
        }
    }

    private sealed class Pending : IDisposable
    {
        public IDisposable? Making { get; set; }

        public void Dispose() => Making?.Dispose();
    }

    private void Finished(Pending pending, Errno e, NetSocket? socket, string text, string path)
    {
        lock (_lock)
        {
            if (_closed || _inFlight != pending)
            {
                socket?.Dispose();
                return;
            }
            _inFlight = null;
            if (e == 0)
                _server.Log.Debug("handoff {Path} to pid {Pid} uid {Uid}", path, _caller.Pid, _caller.Uid);
            Reply(e, socket, text);
            ReadRequests();
        }
    }

    private void Reply(Errno e, NetSocket? socket, string text)
    {
        Span<byte> reply = stackalloc byte[HandoffWire.MaxReply];
        int len = HandoffWire.EncodeReply(reply, (int)e, text);
        int fd = -1;
        if (socket is not null)
        {
            socket.SetBlocking(true); // a socket handed to a program blocks, as socket(2) makes it
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
        _inFlight?.Dispose();
        _inFlight = null;
        _server.Engine.Unregister(_socket.Fd, _key);
        _socket.Dispose();
        _server.Forget(this);
    }

    public void Dispose()
    {
        lock (_lock)
            CloseLocked();
    }
}
