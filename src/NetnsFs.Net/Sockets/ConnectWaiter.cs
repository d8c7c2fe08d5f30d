using NetnsFs.Net.Identity;
using Mono.Unix.Native;
using NetnsFs.Net.Readiness;

namespace NetnsFs.Net.Sockets;

/// <summary>connect(2) without waiting: starts the connect and calls <c>done</c> once with its result,
/// at once if it finished at once, else from the readiness engine when the socket turns writable.
/// The socket is unregistered again before <c>done</c> runs, so the caller may register it anew.
/// Dispose cancels (no callback after).</summary>
public sealed class ConnectWaiter : IReadinessListener, IDisposable
{
    private readonly NetSocket _socket;
    private readonly ReadinessEngine _engine;
    private readonly Action<Errno> _done;
    private readonly Lock _lock = new();
    private ulong _key;
    private bool _finished;

    private ConnectWaiter(NetSocket socket, ReadinessEngine engine, Action<Errno> done)
    {
        _socket = socket;
        _engine = engine;
        _done = done;
    }

    /// <param name="caller">Who connects (a unix peer's SO_PEERCRED is the connecting thread's).</param>
    public static ConnectWaiter Start(NetSocket socket, in SockAddr target, ReadinessEngine engine, Caller caller, Action<Errno> done)
    {
        var w = new ConnectWaiter(socket, engine, done);
        var e = socket.Connect(in target, caller);
        if (e != Errno.EINPROGRESS)
        {
            w._finished = true;
            done(e);
            return w;
        }
        // A loopback connect is usually done by the time connect(2) has released the socket
        // (the SYN-ACK waits in the socket's backlog until then): look before paying for an
        // epoll registration and its removal.
        if (socket.PollNow(IoEvents.Writable) != IoEvents.None)
        {
            w._finished = true;
            done(socket.TakeError());
            return w;
        }
        bool connected;
        lock (w._lock)
        {
            w._key = engine.Register(socket.Fd, w);
            connected = socket.PollNow(IoEvents.Writable) != IoEvents.None && w.TryFinish();
        }
        if (connected)
            done(socket.TakeError());
        return w;
    }

    public void OnReadiness(IoEvents events)
    {
        if ((events & IoEvents.Writable) == 0)
            return;
        bool finished;
        lock (_lock)
            finished = TryFinish();
        // Called back outside our lock: the callback takes the open's lock, which a cancel holds
        // while it takes ours (Dispose); under our lock that would deadlock the readiness thread.
        if (finished)
            _done(_socket.TakeError());
    }

    private bool TryFinish()
    {
        if (_finished)
            return false;
        _finished = true;
        _engine.Unregister(_socket.Fd, _key);
        return true;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_finished)
                return;
            _finished = true;
            _engine.Unregister(_socket.Fd, _key);
        }
    }
}
