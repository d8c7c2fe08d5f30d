using NetnsFs.Fuse.Session;
using NetnsFs.Interop;
using NetnsFs.Net.Identity;
using NetnsFs.Net.Readiness;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Files;

/// <summary>A listening socket behind a listen path. It lives from its first open until `rm` or
/// unmount, so a bash `while` loop of opens misses no client: connections queue in the kernel's
/// backlog between opens. Each open accepts one connection; an open that finds none waits (deferred,
/// interruptible) or answers EAGAIN with O_NONBLOCK. It belongs to the uid whose open made it
/// (<see cref="Owner"/>): only that uid (and root) accepts its connections and may remove it.</summary>
public sealed class Listener : IReadinessListener
{
    private const int O_NONBLOCK = NetnsFs.Interop.Libc.O_NONBLOCK;

    private readonly Lock _lock = new();
    private readonly Queue<(FuseRequest Request, Caller Caller, Action<FuseRequest, NetSocket> Accepted)> _waiting = new();
    private readonly ReadinessEngine _engine;
    private readonly ulong _engineKey;
    private bool _closed;

    public Listener(NetSocket socket, ReadinessEngine engine, uint owner)
    {
        Owner = owner;
        Socket = socket;
        _engine = engine;
        LocalAddress = socket.LocalAddress();
        _engineKey = engine.Register(socket.Fd, this);
    }

    public NetSocket Socket { get; }

    /// <summary>The uid that made it (the sharing model: another uid's open is EADDRINUSE, as its
    /// bind(2) would be; another uid's `rm` is EPERM).</summary>
    public uint Owner { get; }

    /// <summary>Whether <paramref name="uid"/> may accept from it and remove it: its owner, or root.</summary>
    public bool IsUsableBy(uint uid) => uid == 0 || uid == Owner;

    public SockAddr LocalAddress { get; }

    /// <summary>Accepts one connection for an OPEN by <paramref name="caller"/> (the accepted socket's
    /// file is made with its credentials, which owner matches read); <paramref name="accepted"/> answers it.</summary>
    public void Accept(FuseRequest req, Caller caller, int flags, Action<FuseRequest, NetSocket> accepted)
    {
        lock (_lock)
        {
            if (_closed)
            {
                req.ReplyError(Errno.ECONNABORTED);
                return;
            }
            if (_waiting.Count == 0 && TryAcceptOne(req, caller, accepted))
                return;
            if ((flags & O_NONBLOCK) != 0)
            {
                req.ReplyError(Errno.EAGAIN);
                return;
            }
            _waiting.Enqueue((req, caller, accepted));
            req.Defer(Cancel);
        }
    }

    /// <summary>True if it answered <paramref name="req"/> (a connection or a hard error).</summary>
    private bool TryAcceptOne(FuseRequest req, Caller caller, Action<FuseRequest, NetSocket> accepted)
    {
        int fd = Socket.Accept(caller);
        if (fd == -(int)Errno.EAGAIN)
            return false;
        if (fd < 0)
        {
            req.ReplyError((Errno)(-fd));
            return true;
        }
        accepted(req, NetSocket.Adopt(fd, Socket.Kind));
        return true;
    }

    private void Cancel(FuseRequest r)
    {
        lock (_lock)
        {
            int n = _waiting.Count;
            for (int i = 0; i < n; i++)
            {
                var w = _waiting.Dequeue();
                if (w.Request != r)
                    _waiting.Enqueue(w);
            }
        }
        r.ReplyError(Errno.EINTR);
    }

    public void OnReadiness(IoEvents events)
    {
        lock (_lock)
        {
            while (!_closed && _waiting.TryPeek(out var w))
            {
                if (w.Request.IsAnswered)
                {
                    _waiting.Dequeue();
                    continue;
                }
                if (!TryAcceptOne(w.Request, w.Caller, w.Accepted))
                    return;
                _waiting.Dequeue();
            }
        }
    }

    private IDisposable? _charge;

    /// <summary>Its count among its maker's listeners (the mount's limits), released when it closes.</summary>
    internal void Hold(IDisposable charge)
    {
        lock (_lock)
        {
            if (_closed)
                charge.Dispose();
            else
                _charge = charge;
        }
    }

    /// <summary>Closes the listening socket; waiting opens answer ECONNABORTED.</summary>
    public void Close()
    {
        lock (_lock)
        {
            if (_closed)
                return;
            _closed = true;
            _charge?.Dispose();
            foreach (var w in _waiting)
                w.Request.ReplyError(Errno.ECONNABORTED);
            _waiting.Clear();
            _engine.Unregister(Socket.Fd, _engineKey);
            Socket.Dispose();
        }
    }
}
