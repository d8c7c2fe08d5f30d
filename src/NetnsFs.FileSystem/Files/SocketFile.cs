using Mono.Unix.Native;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NetnsFs.Net.Readiness;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Files;

/// <summary>An open socket file: read = recv, write = send, poll = the socket's readiness. The socket
/// is non-blocking; an operation that would wait is deferred (the FUSE reader goes back to the
/// device) and finished by the readiness engine's thread when epoll says the socket moved. One lock
/// orders each socket's operations and closes the edge-trigger race: an event that comes while an
/// operation is being queued waits for the lock and then finds it queued.</summary>
public sealed class SocketFile : OpenFile, IReadinessListener
{
    private const int O_NONBLOCK = 0x800;

    private readonly Lock _lock = new();
    private readonly Queue<PendingRead> _reads = new();
    private readonly Queue<PendingWrite> _writes = new();
    private readonly FuseSession _session;
    private readonly ReadinessEngine _engine;
    private readonly ulong _engineKey;
    private ulong _pollKh;
    private bool _connecting;
    private bool _closed;

    public SocketFile(NetSocket socket, FuseSession session, ReadinessEngine engine, string description)
    {
        Socket = socket;
        _session = session;
        _engine = engine;
        Description = description;
        _engineKey = engine.Register(socket.Fd, this);
        _cancelRead = CancelRead;
        _cancelWrite = CancelWrite;
    }

    // Cached once: a deferred read or write hands these over without allocating.
    private readonly Action<FuseRequest> _cancelRead;
    private readonly Action<FuseRequest> _cancelWrite;

    public NetSocket Socket { get; }

    /// <summary>What the file was opened as ("tcp/127.0.0.1/80", "inet;stream;tcp").</summary>
    public string Description { get; }

    /// <summary>The namespace it was made in (conn/ lists a namespace's own sockets).</summary>
    public NamespaceView? View { get; init; }

    /// <summary>Who opened it (conn/N/owner).</summary>
    public uint OpenerPid { get; init; }

    public uint OpenerUid { get; init; }

    public bool IsConnecting
    {
        get
        {
            lock (_lock)
                return _connecting;
        }
    }

    private static bool NonBlocking(int flags) => (flags & O_NONBLOCK) != 0;

    /// <summary>A connect is under way (an O_NONBLOCK open returned before it finished): reads and
    /// writes answer EAGAIN, poll reports nothing, until the socket turns writable; a failed connect
    /// then shows as the error of the next read or write, as with connect(2) on a non-blocking socket.</summary>
    public void BeginConnect()
    {
        lock (_lock)
        {
            _connecting = true;
            if (Socket.PollNow(IoEvents.Writable) != IoEvents.None)
                _connecting = false;
        }
    }

    public override void Read(FuseRequest req, long offset, int size, int flags)
    {
        lock (_lock)
        {
            if (_closed)
            {
                req.ReplyError(Errno.EBADF);
                return;
            }
            if (_connecting || _reads.Count > 0)
            {
                WaitOrAgain(req, size, flags);
                return;
            }
            int n = Socket.Receive(FuseRequest.Scratch(size));
            if (n >= 0)
                req.ReplyScratch(n);
            else if (n == -(int)Errno.EAGAIN)
                WaitOrAgain(req, size, flags);
            else
                req.ReplyError((Errno)(-n));
        }
    }

    private void WaitOrAgain(FuseRequest req, int size, int flags)
    {
        if (NonBlocking(flags))
        {
            req.ReplyError(Errno.EAGAIN);
            return;
        }
        _reads.Enqueue(new PendingRead(req, size));
        req.Defer(_cancelRead);
    }

    private void CancelRead(FuseRequest r)
    {
        lock (_lock)
            RemoveWhere(_reads, p => p.Request == r);
        r.ReplyError(Errno.EINTR);
    }

    public override void Write(FuseRequest req, ReadOnlySpan<byte> data, int flags)
    {
        lock (_lock)
        {
            if (_closed)
            {
                req.ReplyError(Errno.EBADF);
                return;
            }
            int sent = 0;
            if (!_connecting && _writes.Count == 0)
            {
                int n = Socket.Send(data);
                if (n < 0 && n != -(int)Errno.EAGAIN)
                {
                    req.ReplyError((Errno)(-n));
                    return;
                }
                sent = Math.Max(n, 0);
                if (sent == data.Length || (sent > 0 && Socket.Kind.KeepsMessageBoundaries))
                {
                    req.ReplyWrite((uint)sent);
                    return;
                }
            }
            if (NonBlocking(flags))
            {
                if (sent > 0)
                    req.ReplyWrite((uint)sent);
                else
                    req.ReplyError(Errno.EAGAIN);
                return;
            }
            // Keep the rest: the reader's buffer goes with the request, the reader takes another.
            _writes.Enqueue(new PendingWrite(req, req.LeasePayload(data[sent..]), sent));
            req.Defer(_cancelWrite);
        }
    }

    private void CancelWrite(FuseRequest r)
    {
        PendingWrite? found = null;
        lock (_lock)
        {
            foreach (var w in _writes)
            {
                if (w.Request == r)
                    found = w;
            }
            if (found is null)
                return;
            RemoveWhere(_writes, w => w.Request == r);
        }
        int total = found.Total;
        found.Return();
        // A send that already moved bytes reports them, as a signal does to a socket write.
        if (total > 0)
            r.ReplyWrite((uint)total);
        else
            r.ReplyError(Errno.EINTR);
    }

    public void OnReadiness(IoEvents events)
    {
        ulong kh;
        lock (_lock)
        {
            if (_closed)
                return;
            if (_connecting && (events & IoEvents.Writable) != 0)
                _connecting = false;
            if (!_connecting)
            {
                if ((events & IoEvents.Readable) != 0)
                    DrainReads();
                if ((events & IoEvents.Writable) != 0)
                    DrainWrites();
            }
            kh = _pollKh;
        }
        if (kh != 0)
            _session.NotifyPoll(kh);
    }

    private void DrainReads()
    {
        while (_reads.TryPeek(out var pending))
        {
            if (pending.Request.IsAnswered)
            {
                _reads.Dequeue();
                continue;
            }
            int n = Socket.Receive(FuseRequest.Scratch(pending.Size));
            if (n == -(int)Errno.EAGAIN)
                return;
            _reads.Dequeue();
            if (n >= 0)
                pending.Request.ReplyScratch(n);
            else
                pending.Request.ReplyError((Errno)(-n));
        }
    }

    private void DrainWrites()
    {
        while (_writes.TryPeek(out var pending))
        {
            if (pending.Request.IsAnswered)
            {
                _writes.Dequeue();
                pending.Return();
                continue;
            }
            int n = Socket.Send(pending.Remaining);
            if (n == -(int)Errno.EAGAIN)
                return;
            if (n >= 0)
            {
                pending.Sent += n;
                if (!pending.IsDone)
                    continue;
            }
            _writes.Dequeue();
            // Done, or failed: a write that moved bytes reports them; one that moved none, the error.
            if (pending.Total > 0)
                pending.Request.ReplyWrite((uint)pending.Total);
            else
                pending.Request.ReplyError((Errno)(-n));
            pending.Return();
        }
    }

    public override void Poll(FuseRequest req, ulong kh, PollFlags pollFlags, uint events)
    {
        IoEvents revents;
        lock (_lock)
        {
            if ((pollFlags & PollFlags.ScheduleNotify) != 0)
                _pollKh = kh;
            revents = _closed ? IoEvents.Nval : Socket.PollNow((IoEvents)events | IoEvents.Err | IoEvents.Hup);
        }
        req.ReplyPoll((uint)revents);
    }

    /// <summary>shutdown(2) of one direction (half-close).</summary>
    public Errno Shutdown(int how)
    {
        lock (_lock)
            return _closed ? Errno.EBADF : Socket.Shutdown(how);
    }

    public override void Close()
    {
        lock (_lock)
            CloseLocked();
    }

    private void CloseLocked()
    {
        if (_closed)
            return;
        _closed = true;
        foreach (var r in _reads)
            r.Request.ReplyError(Errno.EBADF);
        _reads.Clear();
        foreach (var w in _writes)
        {
            w.Request.ReplyError(Errno.EBADF);
            w.Return();
        }
        _writes.Clear();
        _engine.Unregister(Socket.Fd, _engineKey);
        Socket.Dispose();
    }

    private static void RemoveWhere<T>(Queue<T> queue, Func<T, bool> match)
    {
        int count = queue.Count;
        for (int i = 0; i < count; i++)
        {
            var item = queue.Dequeue();
            if (!match(item))
                queue.Enqueue(item);
        }
    }
}
