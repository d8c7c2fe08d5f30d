using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;
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
/// The parts each keep one job's state and are called only under that lock: the waiting reads
/// (<see cref="ReadQueue"/>), the waiting and written-behind writes (<see cref="WriteQueue"/>:
/// large writes to a connected stream are answered once the daemon holds their data, then sent),
/// and the scheduled poll (<see cref="PollWaiter"/>); this class keeps the connect, the arming,
/// the close and the order of it all. What conn/N/ctl does to the socket (bind, connect, listen,
/// and the accept that makes a listening file its first connection) is in SocketFile.Control.cs.</summary>
public sealed partial class SocketFile : OpenFile, IReadinessListener, IHoldsAnsweredWrites
{
    private const int O_NONBLOCK = NetnsFs.Interop.Libc.O_NONBLOCK;

    // Held across sends and receives of up to 1 MiB: its waiters sleep rather than spin (the
    // binary sets System.Threading.Lock.SpinCount to 0, see NetnsFs.Cli.csproj).
    private readonly Lock _lock = new();
    private readonly ReadQueue _reads = new();
    private readonly WriteQueue _writes;
    private readonly PollWaiter _poll = new();
    private readonly FuseSession _session;
    private readonly ReadinessEngine _engine;
    private ulong _engineKey; // a new one when an accepted connection takes a listener's place
    private IoEvents _armed; // what epoll will report once (cleared when it reports)
    private bool _connecting;
    private bool _closed;

    // Cached once: a deferred read or write hands these over without allocating.
    private readonly Action<FuseRequest> _cancelRead;
    private readonly Action<FuseRequest> _cancelWrite;

    public SocketFile(NetSocket socket, FuseSession session, ReadinessEngine engine, string description)
    {
        Socket = socket;
        _session = session;
        _engine = engine;
        Description = description;
        _cancelRead = CancelRead;
        _cancelWrite = CancelWrite;
        _writes = new WriteQueue(new SocketWriteSide(socket), this, _cancelWrite, session.RequestBufferSize, description);
        // Each send is a whole write(2) of the file's user, and the daemon cannot know whether more
        // follows: Nagle would hold the tail of every write that is not a multiple of the segment
        // size (a 128 KiB write on loopback leaves 106 bytes) until the peer acknowledges, then
        // send it from the acknowledgement's processing. What that costs: README, Performance.
        if (socket.Kind.IsTcp)
            socket.SendWithoutDelay();
        _engineKey = engine.RegisterQuiet(socket.Fd, this);
    }

    public NetSocket Socket { get; }

    /// <summary>What the file was opened as ("tcp/127.0.0.1/80", "inet;stream;tcp").</summary>
    public string Description { get; }

    /// <summary>The namespace it was made in (conn/ lists a namespace's own sockets).</summary>
    public NamespaceView? View { get; init; }

    /// <summary>The process that opened it (conn/N/owner, conn/self), found when it was opened:
    /// later the thread may be gone, or its id reused.</summary>
    public uint OpenerProcess { get; init; }

    public uint OpenerUid { get; init; }

    public ILogger? Log
    {
        get => _writes.Log;
        init => _writes.Log = value;
    }

    /// <summary>The mount's limits: queued write data is charged to its writer (null: not counted).</summary>
    public Limits.MountLimits? Limits
    {
        get => _writes.Limits;
        init => _writes.Limits = value;
    }

    /// <summary>The mount's write-behind settings and bounds; null: every write is answered only
    /// with what its socket took.</summary>
    public WriteBehindLedger? WriteBehind
    {
        get => _writes.Ledger;
        init => _writes.Ledger = value;
    }

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

    // Reads and writes answer after they let go of the lock: the answer wakes the caller, which may
    // come straight back (its read after its write) on another reader, and would find the lock
    // still held by a thread the wake-up just preempted.
    public override void Read(FuseRequest req, long offset, int size, int flags)
    {
        var reply = req.TakeReplyBuffer(size);
        var result = ReadLocked(req, reply, flags);
        if (result.Outcome == IoOutcome.Count)
            req.ReplyData(reply, result.Bytes);
        else if (result.Outcome == IoOutcome.Error)
            req.ReplyError(result.Errno);
    }

    /// <summary>Receives into <paramref name="reply"/> what the socket has now, or queues the read
    /// (its reply buffer is then taken again when data comes).</summary>
    private IoResult ReadLocked(FuseRequest req, ReplyBuffer reply, int flags)
    {
        lock (_lock)
        {
            if (_closed)
                return IoResult.Error(Errno.EBADF);
            if (_failed != 0)
                return IoResult.Error(_failed);
            var accepted = TryAcceptLocked();
            if (accepted == Errno.EAGAIN)
                return WaitOrAgain(req, reply.Payload.Length, flags); // listening: no client yet
            if (accepted != 0)
                return IoResult.Error(accepted);
            if (_connecting || _reads.IsWaiting)
                return WaitOrAgain(req, reply.Payload.Length, flags);
            int n = Socket.Receive(reply.Payload);
            return n == -(int)Errno.EAGAIN ? WaitOrAgain(req, reply.Payload.Length, flags) : IoResult.OfCall(n);
        }
    }

    private IoResult WaitOrAgain(FuseRequest req, int size, int flags)
    {
        if (NonBlocking(flags))
            return IoResult.Error(Errno.EAGAIN);
        _reads.Add(req, size);
        req.Defer(_cancelRead);
        ArmLocked();
        return IoResult.Waiting;
    }

    private void CancelRead(FuseRequest r)
    {
        lock (_lock)
            _reads.Remove(r);
        r.ReplyError(Errno.EINTR);
    }

    public override void Write(FuseRequest req, ReadOnlySpan<byte> data, int flags)
    {
        var result = WriteLocked(req, data, flags);
        if (result.Outcome == IoOutcome.Count)
            req.ReplyWrite((uint)result.Bytes);
        else if (result.Outcome == IoOutcome.Error)
            req.ReplyError(result.Errno);
    }

    private IoResult WriteLocked(FuseRequest req, ReadOnlySpan<byte> data, int flags)
    {
        lock (_lock)
        {
            if (_closed)
                return IoResult.Error(Errno.EBADF);
            if (_failed != 0)
                return IoResult.Error(_failed);
            var accepted = TryAcceptLocked();
            if (accepted is not (0 or Errno.EAGAIN))
                return IoResult.Error(accepted);
            var result = _writes.Write(req, data, NonBlocking(flags), _connecting || _listening);
            if (!result.IsToAnswer)
            {
                if (_listening)
                    (_writersBeforeAccept ??= []).Add(req); // answered with the accept's error if it fails
                ArmLocked(); // queued (or the rest of an answered one is): wait for room, or a client
            }
            return result;
        }
    }

    private void CancelWrite(FuseRequest r)
    {
        PendingWrite? found;
        lock (_lock)
            found = _writes.TakeWaiting(r);
        found?.AnswerInterrupted();
    }

    public void OnReadiness(IoEvents events)
    {
        ulong kh;
        lock (_lock)
        {
            _armed = IoEvents.None; // one-shot: epoll has disarmed it
            if (_closed)
            {
                if (_writes.IsLingering)
                    KeepSending();
                return;
            }
            if (_listening)
                events = OnListenerReadiness(events);
            if (_connecting && (events & IoEvents.Writable) != 0)
                ConnectEndedLocked();
            if (!_connecting && !_listening)
            {
                if ((events & IoEvents.Readable) != 0)
                    _reads.Drain(Socket);
                if ((events & IoEvents.Writable) != 0)
                    _writes.Drain();
            }
            kh = _poll.TakeWoken(events);
            ArmLocked();
        }
        if (kh != 0)
            _session.NotifyPoll(kh);
    }

    /// <summary>Arms epoll for what is waited for now, unless it is armed for that already.</summary>
    private void ArmLocked()
    {
        var wanted = _poll.Wants;
        if (_reads.IsWaiting)
            wanted |= IoEvents.In;
        if (_writes.IsWaiting || _connecting)
            wanted |= IoEvents.Out;
        if (_listening && wanted != IoEvents.None)
            wanted = IoEvents.In; // a listener has one thing to say: a client waits
        else if ((wanted & IoEvents.In) != 0)
            wanted |= IoEvents.RdHup; // a peer's half-close ends a wait for data, not for room
        if (wanted == IoEvents.None || (wanted & ~_armed) == IoEvents.None)
            return;
        _armed |= wanted;
        int errno = _engine.Arm(Socket.Fd, _engineKey, _armed);
        if (errno != 0)
            _armed = IoEvents.None; // only if the fd is gone: close is under way
    }

    public override void Poll(FuseRequest req, ulong kh, PollFlags pollFlags, uint events)
    {
        IoEvents revents;
        lock (_lock)
        {
            revents = _closed ? IoEvents.Nval
                : _failed != 0 ? IoEvents.Err
                : _listening ? ListenerPollNow((IoEvents)events)
                : Socket.PollNow((IoEvents)events | IoEvents.Err | IoEvents.Hup);
            if (_writes.IsWaiting)
                revents &= ~IoEvents.Out; // a write now would wait behind the queued ones
            if ((pollFlags & PollFlags.ScheduleNotify) != 0 && !_closed)
            {
                // Armed even when ready now: an edge-triggered epoll waiter drains the socket after
                // this poll and must still hear of the next data (at worst one early wake-up).
                _poll.Schedule(kh, (IoEvents)events);
                ArmLocked();
            }
        }
        req.ReplyPoll((uint)revents);
    }

    /// <summary>shutdown(2) of one direction (half-close); the write side waits for answered data.</summary>
    public Errno Shutdown(int how)
    {
        lock (_lock)
            return _closed ? Errno.EBADF : _writes.Shutdown(how);
    }

    /// <summary>The text of conn/N/<paramref name="file"/> ("local", "remote", "state"), or null
    /// if the socket is closed or the file is none of these. Read under the socket's lock: the
    /// socket is closed (and its fd number free for reuse by another user's socket) only under that
    /// lock, so a description never reads the addresses of an fd that is no longer this socket.</summary>
    public string? DescribeSocket(string file)
    {
        lock (_lock)
        {
            if (Socket.IsClosed)
                return null;
            return file switch
            {
                "local" => Socket.LocalAddress().ToString(),
                "remote" => Socket.RemoteAddress().ToString(),
                "state" => _connecting ? "CONNECTING" : _listening ? "LISTEN" : Socket.StateName(),
                _ => null,
            };
        }
    }

    public override void Close()
    {
        lock (_lock)
        {
            if (_closed)
                return;
            _closed = true;
            _reads.FailAll(Errno.EBADF);
            EndControlLocked();
            _poll.Clear();
            if (_writes.Close())
                ArmLocked(); // lingering: answered data goes on out as room comes
            else
                ReleaseSocket();
        }
    }

    /// <summary>Closed and lingering, the socket has room: send on, and let it go once done.</summary>
    private void KeepSending()
    {
        if (_writes.KeepSending())
            ReleaseSocket();
        else
            ArmLocked();
    }

    /// <summary>Stops sending answered data after close (the linger time is over, or the mount goes
    /// away): a last try, then, if data is left, the connection is reset, not ended, so that the
    /// peer does not take what it got for everything. True if it was reset.</summary>
    internal bool EndLinger(string why)
    {
        lock (_lock)
        {
            if (!_writes.IsLingering)
                return false;
            bool reset = _writes.EndLinger(why);
            ReleaseSocket();
            return reset;
        }
    }

    bool IHoldsAnsweredWrites.EndLinger(string why) => EndLinger(why);

    private void ReleaseSocket()
    {
        _writes.Release();
        _engine.Unregister(Socket.Fd, _engineKey);
        Socket.Dispose();
        Charge?.Dispose();
    }
}
