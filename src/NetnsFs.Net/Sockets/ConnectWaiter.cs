using NetnsFs.Interop;
using NetnsFs.Net.Identity;
using NetnsFs.Net.Readiness;

namespace NetnsFs.Net.Sockets;

/// <summary>connect(2) without waiting: starts the connect and calls <c>done</c> once with its result,
/// at once if it finished at once, else from the readiness engine when the socket turns writable.
/// The socket is unregistered again before <c>done</c> runs, so the caller may register it anew.
/// Dispose cancels (no callback after, unless one is under way already).</summary>
public sealed class ConnectWaiter : IReadinessListener, IOperation
{
    private readonly NetSocket _socket;
    private readonly ReadinessEngine _engine;
    private readonly Completion<Errno> _end;
    private ulong _key; // stored by the engine before the first event can come; 0 once unregistered

    private ConnectWaiter(NetSocket socket, ReadinessEngine engine, Action<Errno> done)
    {
        _socket = socket;
        _engine = engine;
        _end = new Completion<Errno>(done);
    }

    public bool IsOver => _end.IsOver;

    /// <param name="caller">Who connects (a unix peer's SO_PEERCRED is the connecting thread's).</param>
    public static ConnectWaiter Start(NetSocket socket, in SockAddr target, ReadinessEngine engine, Caller caller, Action<Errno> done)
    {
        var w = new ConnectWaiter(socket, engine, done);
        var e = socket.Connect(in target, caller);
        if (e != Errno.EINPROGRESS)
        {
            w._end.Complete(e);
            return w;
        }
        // A loopback connect is usually done by the time connect(2) has released the socket
        // (the SYN-ACK waits in the socket's backlog until then): look before paying for an
        // epoll registration and its removal.
        if (socket.PollNow(IoEvents.Writable) == IoEvents.None)
        {
            try
            {
                engine.Register(socket.Fd, w, out w._key);
            }
            catch (NetException ex)
            {
                w._end.Complete(ex.Errno); // no watch to be had (max_user_watches): say so, never hang
                return w;
            }
            if (socket.PollNow(IoEvents.Writable) == IoEvents.None)
                return w; // the engine calls OnReadiness (an edge is reported even if it came already)
        }
        w.Finish();
        return w;
    }

    public void OnReadiness(IoEvents events)
    {
        if ((events & IoEvents.Writable) != 0)
            Finish();
    }

    /// <summary>The connect ended: whoever sees it first (the starting thread, the engine's) answers;
    /// the error is read only by the winner (SO_ERROR is cleared by reading it).</summary>
    private void Finish()
    {
        if (!_end.TryClaim())
            return;
        Unregister();
        _end.Deliver(_socket.TakeError());
    }

    private void Unregister()
    {
        ulong key = Interlocked.Exchange(ref _key, 0);
        if (key != 0)
            _engine.Unregister(_socket.Fd, key);
    }

    public void Dispose()
    {
        if (_end.Cancel())
            Unregister();
    }
}
