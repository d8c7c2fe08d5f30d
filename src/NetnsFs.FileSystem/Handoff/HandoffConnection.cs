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
    private readonly HandoffPeer _peer;
    private readonly ulong _key;
    private readonly Lock _lock = new();
    private readonly byte[] _buffer = new byte[HandoffWire.MaxRequest + 1];
    private IDisposable? _inFlight;
    private bool _closed;

    public HandoffConnection(HandoffServer server, NetSocket socket, HandoffPeer peer)
    {
        _server = server;
        _socket = socket;
        _peer = peer;
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
            if (n > HandoffWire.MaxRequest || Array.IndexOf(_buffer, (byte)0, 0, n) >= 0)
            {
                Reply(Errno.EINVAL, null, "a request is 1 to 4096 bytes of UTF-8 without NUL");
                continue;
            }
            string path;
            try
            {
                path = new UTF8Encoding(false, true).GetString(_buffer, 0, n);
            }
            catch (DecoderFallbackException)
            {
                Reply(Errno.EINVAL, null, "the path is not UTF-8");
                continue;
            }
            var pending = new Pending();
            _inFlight = pending;
            var making = _server.Serve(_peer, path, (e, s, text) => Finished(pending, e, s, text, path));
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
                _server.Log.Debug("handoff {Path} to {Caller}", path, _peer.AtConnect);
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
        _peer.Dispose();
        _server.Forget(this);
    }

    public void Dispose()
    {
        lock (_lock)
            CloseLocked();
    }
}
