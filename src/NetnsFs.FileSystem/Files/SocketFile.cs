using Mono.Unix.Native;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NetnsFs.Net.Readiness;
using NetnsFs.Net.Sockets;
using Serilog;

namespace NetnsFs.FileSystem.Files;

/// <summary>An open socket file: read = recv, write = send, poll = the socket's readiness. The socket
/// is non-blocking; an operation that would wait is deferred (the FUSE reader goes back to the
/// device) and finished by the readiness engine's thread when epoll says the socket moved.
/// The socket is registered disarmed (one-shot) and armed only for what someone waits for: a
/// deferred read, a deferred write, a connect, or a poll. Traffic whose reads find their data
/// already there never wakes the engine's thread nor contends for the lock with it. Arming is
/// level-triggered, so a change between the failed try and the arm is reported at once; one lock
/// orders each socket's operations, arming included.
/// Large writes to a connected stream socket are written behind: answered once the daemon holds
/// their data, then sent (<see cref="WriteBehindMinimum"/>).</summary>
public sealed partial class SocketFile : OpenFile, IReadinessListener
{
    private const int O_NONBLOCK = 0x800;

    // Held across sends and receives of up to 1 MiB: its waiters sleep rather than spin (the
    // binary sets System.Threading.Lock.SpinCount to 0, see NetnsFs.Cli.csproj).
    private readonly Lock _lock = new();
    private readonly Queue<PendingRead> _reads = new();
    private readonly Queue<PendingWrite> _writes = new();
    private readonly FuseSession _session;
    private readonly ReadinessEngine _engine;
    private readonly ulong _engineKey;
    private ulong _pollKh;
    private IoEvents _pollWants; // what the kernel's last scheduled poll waits for, until notified
    private IoEvents _armed;     // what epoll will report once (cleared when it reports)
    private bool _connecting;
    private bool _closed;

    public SocketFile(NetSocket socket, FuseSession session, ReadinessEngine engine, string description)
    {
        Socket = socket;
        _session = session;
        _engine = engine;
        Description = description;
        // Each send is a whole write(2) of the file's user, and the daemon cannot know whether more
        // follows: Nagle would hold the tail of every write that is not a multiple of the segment
        // size (a 128 KiB write on loopback leaves 106 bytes) until the peer acknowledges, then
        // send it from the acknowledgement's processing. Measured: half the daemon's CPU per
        // 128 KiB write (README, Performance).
        if (socket.Kind.IsTcp)
            socket.SendWithoutDelay();
        _engineKey = engine.RegisterQuiet(socket.Fd, this);
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

    /// <summary>The process that opened it (conn/N/owner, conn/self), found when it was opened:
    /// later the thread may be gone, or its id reused.</summary>
    public uint OpenerProcess { get; init; }

    public uint OpenerUid { get; init; }

    public ILogger? Log { get; init; }

    /// <summary>The mount's limits: queued write data is charged to its writer (null: not counted).</summary>
    public Limits.MountLimits? Limits { get; init; }

    /// <summary>This file's count among the socket files of its opener (released when the socket's
    /// fd is closed, lingering included).</summary>
    public Limits.Charge? Charge { get; set; }

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
            ArmLocked();
        }
    }

    /// <summary>What the locked part of a read or write leaves to answer: the request is deferred,
    /// or answered already. (Otherwise a byte count, or a negative errno.)</summary>
    private const int NothingToAnswer = int.MinValue;

    // Reads and writes answer after they let go of the lock: the answer wakes the caller, which may
    // come straight back (its read after its write) on another reader, and would find the lock
    // still held by a thread the wake-up just preempted.
    public override void Read(FuseRequest req, long offset, int size, int flags)
    {
        int result = ReadLocked(req, size, flags);
        if (result >= 0)
            req.ReplyScratch(result);
        else if (result != NothingToAnswer)
            req.ReplyError((Errno)(-result));
    }

    /// <summary>Receives into the thread's reply scratch; returns the count, a negative errno, or
    /// <see cref="NothingToAnswer"/> (deferred).</summary>
    private int ReadLocked(FuseRequest req, int size, int flags)
    {
        lock (_lock)
        {
            if (_closed)
                return -(int)Errno.EBADF;
            if (_connecting || _reads.Count > 0)
                return WaitOrAgain(req, size, flags);
            int n = Socket.Receive(FuseRequest.Scratch(size));
            return n == -(int)Errno.EAGAIN ? WaitOrAgain(req, size, flags) : n;
        }
    }

    private int WaitOrAgain(FuseRequest req, int size, int flags)
    {
        if (NonBlocking(flags))
            return -(int)Errno.EAGAIN;
        _reads.Enqueue(new PendingRead(req, size));
        req.Defer(_cancelRead);
        ArmLocked();
        return NothingToAnswer;
    }

    private void CancelRead(FuseRequest r)
    {
        lock (_lock)
            RemoveWhere(_reads, p => p.Request == r);
        r.ReplyError(Errno.EINTR);
    }

    public override void Write(FuseRequest req, ReadOnlySpan<byte> data, int flags)
    {
        int result = WriteLocked(req, data, flags);
        if (result >= 0)
            req.ReplyWrite((uint)result);
        else if (result != NothingToAnswer)
            req.ReplyError((Errno)(-result));
    }

    /// <summary>Sends what the socket takes now; returns the count to answer, a negative errno, or
    /// <see cref="NothingToAnswer"/> (queued, or answered before the send: write-behind).</summary>
    private int WriteLocked(FuseRequest req, ReadOnlySpan<byte> data, int flags)
    {
        lock (_lock)
        {
            if (_closed)
                return -(int)Errno.EBADF;
            if (_laterError != 0)
            {
                var later = _laterError;
                _laterError = 0;
                return -(int)later;
            }
            int sent = 0;
            if (!_connecting && _writes.Count == 0)
            {
                bool behind = MayWriteBehind(data.Length);
                if (behind)
                    req.ReplyWrite((uint)data.Length); // under the lock: before any later write's send
                int n = Socket.Send(data);
                if (n < 0 && n != -(int)Errno.EAGAIN)
                {
                    if (!behind)
                        return n;
                    ReleaseHeld(delivered: false);
                    _laterError = (Errno)(-n);
                    return NothingToAnswer;
                }
                sent = Math.Max(n, 0);
                _established |= sent > 0;
                if (sent == data.Length || (sent > 0 && Socket.Kind.KeepsMessageBoundaries))
                {
                    if (!behind)
                        return sent;
                    ReleaseHeld(delivered: true);
                    return NothingToAnswer;
                }
                if (behind)
                {
                    // The socket is full: the rest waits here, answered already; later writes wait behind it.
                    _writes.Enqueue(PendingWrite.Hold(req, data[sent..], sent, acknowledged: true, Limits, _session.RequestBufferSize, out _)!);
                    HoldingQueued();
                    ArmLocked();
                    return NothingToAnswer;
                }
            }
            if (NonBlocking(flags))
                return sent > 0 ? sent : -(int)Errno.EAGAIN;
            // Keep the rest (copied if small; else the reader's buffer goes with the request and the
            // reader takes another), unless the writer or the mount holds its cap of write data:
            // then what went out, or ENOBUFS, as a socket without buffer space answers.
            var pending = PendingWrite.Hold(req, data[sent..], sent, acknowledged: false, Limits, _session.RequestBufferSize, out var refused);
            if (pending is null)
                return sent > 0 ? sent : -(int)refused;
            _writes.Enqueue(pending);
            req.Defer(_cancelWrite);
            ArmLocked();
            return NothingToAnswer;
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
        ulong kh = 0;
        lock (_lock)
        {
            if (_closed)
            {
                if (_lingering)
                    KeepSending();
                return;
            }
            _armed = IoEvents.None; // one-shot: epoll has disarmed it
            if (_connecting && (events & IoEvents.Writable) != 0)
                _connecting = false;
            if (!_connecting)
            {
                if ((events & IoEvents.Readable) != 0)
                    DrainReads();
                if ((events & IoEvents.Writable) != 0)
                    DrainWrites();
            }
            if ((events & (_pollWants | IoEvents.Err | IoEvents.Hup | IoEvents.RdHup)) != 0 && _pollWants != IoEvents.None)
            {
                // One notification per scheduled poll: the kernel polls again (and schedules
                // again) if its waiter still waits.
                kh = _pollKh;
                _pollWants = IoEvents.None;
            }
            ArmLocked();
        }
        if (kh != 0)
            _session.NotifyPoll(kh);
    }

    /// <summary>Arms epoll for what is waited for now, unless it is armed for that already.</summary>
    private void ArmLocked()
    {
        var wanted = _pollWants;
        if (_reads.Count > 0)
            wanted |= IoEvents.In;
        if (_writes.Count > 0 || _connecting)
            wanted |= IoEvents.Out;
        if ((wanted & IoEvents.In) != 0)
            wanted |= IoEvents.RdHup; // a peer's half-close ends a wait for data, not for room
        if (wanted == IoEvents.None || (wanted & ~_armed) == IoEvents.None)
            return;
        _armed |= wanted;
        int errno = _engine.Arm(Socket.Fd, _engineKey, _armed);
        if (errno != 0)
            _armed = IoEvents.None; // only if the fd is gone: close is under way
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
            if (pending.Request is { IsAnswered: true })
            {
                _writes.Dequeue();
                Finish(pending);
                continue;
            }
            if (pending.Request is { } waiting && _laterError != 0)
            {
                // The acknowledged data before it failed: this write reports that, unsent.
                _writes.Dequeue();
                waiting.ReplyError(_laterError);
                _laterError = 0;
                Finish(pending);
                continue;
            }
            int n = Socket.Send(pending.Remaining);
            if (n == -(int)Errno.EAGAIN)
                return;
            if (n >= 0)
            {
                pending.Sent += n;
                _established = true;
                if (!pending.IsDone)
                    continue;
            }
            _writes.Dequeue();
            Finish(pending);
            if (pending.Request is null)
            {
                if (n < 0)
                    _laterError = (Errno)(-n);
                if (_shutdownAfterSend >= 0)
                {
                    var e = Socket.Shutdown(_shutdownAfterSend);
                    if (e != 0)
                        Log?.Debug("{Socket}: shutdown after the answered data: {Errno}", Description, e);
                    _shutdownAfterSend = -1;
                }
            }
            // Done, or failed: a write that moved bytes reports them; one that moved none, the error.
            else if (pending.Total > 0)
                pending.Request.ReplyWrite((uint)pending.Total);
            else
                pending.Request.ReplyError((Errno)(-n));
        }
    }

    public override void Poll(FuseRequest req, ulong kh, PollFlags pollFlags, uint events)
    {
        IoEvents revents;
        lock (_lock)
        {
            revents = _closed ? IoEvents.Nval : Socket.PollNow((IoEvents)events | IoEvents.Err | IoEvents.Hup);
            if (_writes.Count > 0)
                revents &= ~IoEvents.Out; // a write now would wait behind the queued ones
            if ((pollFlags & PollFlags.ScheduleNotify) != 0 && !_closed)
            {
                // Armed even when ready now: an edge-triggered epoll waiter drains the socket after
                // this poll and must still hear of the next data (at worst one early wake-up).
                _pollKh = kh;
                _pollWants = (IoEvents)events & (IoEvents.In | IoEvents.Pri | IoEvents.Out);
                if (_pollWants == IoEvents.None)
                    _pollWants = IoEvents.In | IoEvents.Out; // no events named: any change
                ArmLocked();
            }
        }
        req.ReplyPoll((uint)revents);
    }

    /// <summary>shutdown(2) of one direction (half-close).</summary>
    public Errno Shutdown(int how)
    {
        lock (_lock)
        {
            if (_closed)
                return Errno.EBADF;
            if (how != 0 && _writes.TryPeek(out var first) && first.IsAcknowledged)
            {
                // The answered data goes out first; the read side closes now.
                _shutdownAfterSend = 1;
                return how == 2 ? Socket.Shutdown(0) : 0;
            }
            return Socket.Shutdown(how);
        }
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
        _pollWants = IoEvents.None;
        int count = _writes.Count;
        for (int i = 0; i < count; i++)
        {
            var w = _writes.Dequeue();
            if (w.IsAcknowledged && _laterError == 0)
            {
                _writes.Enqueue(w);
                continue;
            }
            w.Request?.ReplyError(Errno.EBADF);
            Finish(w);
        }
        if (_writes.Count > 0)
            StartLingering();
        else
            ReleaseSocket();
    }

    private void ReleaseSocket()
    {
        if (_lingering)
            WriteBehind?.StopLingering(this);
        _lingering = false;
        _lingerLimit?.Dispose();
        foreach (var w in _writes)
            Finish(w);
        _writes.Clear();
        _engine.Unregister(Socket.Fd, _engineKey);
        Socket.Dispose();
        Charge?.Dispose();
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
