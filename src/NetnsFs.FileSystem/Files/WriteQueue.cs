using NetnsFs.FileSystem.Limits;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;
using Serilog;

namespace NetnsFs.FileSystem.Files;

/// <summary>One socket file's writes that its socket could not take at once, in order, and
/// write-behind: large writes to a connected stream answered as soon as the daemon holds their data,
/// then sent (<see cref="WriteBehindMinimum"/>), with what follows from that: an error reported by
/// the next write, a shutdown that waits for the answered data, sending on after close (lingering),
/// a reset instead of a clean end whenever answered data would be lost, and the accounting of it
/// all in the mount's <see cref="WriteBehindLedger"/> and <see cref="MountLimits"/>.
/// Not thread-safe: its owner calls it under the lock that orders the socket's operations, and arms
/// the socket for room while <see cref="IsWaiting"/>.</summary>
internal sealed class WriteQueue
{
    /// <summary>Stream writes at least this large, once the socket has sent something (it is
    /// connected), are answered as soon as the daemon holds the data, and sent after. A FUSE write
    /// otherwise waits for the send, so the writer's next copy into the daemon could never overlap
    /// this one's copy into the socket, as a writer into a socket buffer overlaps the relay behind
    /// it. An error of such a send is the result of the next write, as with an error a socket
    /// learns after it took the data. Smaller writes cost little to copy and keep their exact result.</summary>
    public const int WriteBehindMinimum = 64 * 1024;

    private readonly Queue<PendingWrite> _writes = new();
    private readonly IWriteSocket _socket;
    private readonly IHoldsAnsweredWrites _owner;
    private readonly Action<FuseRequest> _cancel;
    private readonly int _requestBufferSize;
    private readonly string _description;

    private bool _established;           // a send succeeded: connected, write-behind may begin
    private Errno _laterError;           // the failure of an answered write, for the next write
    private int _shutdownAfterSend = -1; // a shutdown that waits for answered data to go out
    private bool _lingering;             // closed, still sending answered data, as close(2) does
    private Timer? _lingerLimit;         // restarted whenever lingering data moves
    private int _heldHere;               // answered writes whose data is not all with the kernel
    private bool _heldLost;              // one of them was dropped unsent: the stream has a hole for good

    /// <param name="socket">Where the data goes.</param>
    /// <param name="owner">The socket file: what the ledger ends at the end of the mount, and what
    /// the linger limit ends (under its lock).</param>
    /// <param name="cancel">The owner's answer to an interrupt of a waiting write (it takes the
    /// lock, then <see cref="TakeWaiting"/>).</param>
    /// <param name="requestBufferSize">What a write kept in its request buffer holds (charged as held data).</param>
    /// <param name="description">The socket's name in log lines.</param>
    public WriteQueue(IWriteSocket socket, IHoldsAnsweredWrites owner, Action<FuseRequest> cancel, int requestBufferSize, string description)
    {
        _socket = socket;
        _owner = owner;
        _cancel = cancel;
        _requestBufferSize = requestBufferSize;
        _description = description;
    }

    /// <summary>The mount's write-behind settings and bounds; null: every write is answered only
    /// with what its socket took.</summary>
    public WriteBehindLedger? Ledger { get; set; }

    /// <summary>The mount's limits: queued data is charged to its writer as held data (null: not counted).</summary>
    public MountLimits? Limits { get; set; }

    public ILogger? Log { get; set; }

    /// <summary>Writes are queued: a new one waits behind them, and the socket is armed for room.</summary>
    public bool IsWaiting => _writes.Count > 0;

    /// <summary>Closed, and still sending answered data.</summary>
    public bool IsLingering => _lingering;

    /// <summary>Answered writes whose data the kernel does not have all of yet.</summary>
    public int HeldWrites => _heldHere;

    /// <summary>Sends what the socket takes now. The rest waits in the queue (<see cref="IoResult.Waiting"/>),
    /// answered when it is sent, unless the write is non-blocking (then what went out, or EAGAIN)
    /// or its writer or the mount holds its cap of queued data (then what went out, or ENOBUFS, as
    /// a socket without buffer space answers). A write-behind write is answered here, before its
    /// send (<see cref="IoResult.Answered"/>). An error an answered write met is this write's result.</summary>
    /// <param name="connecting">A connect is under way: nothing is sent yet.</param>
    public IoResult Write(FuseRequest req, ReadOnlySpan<byte> data, bool nonBlocking, bool connecting)
    {
        if (_laterError != 0)
        {
            var later = _laterError;
            _laterError = 0;
            return IoResult.Error(later);
        }
        int sent = 0;
        if (!connecting && _writes.Count == 0)
        {
            bool behind = MayWriteBehind(data.Length);
            if (behind)
                req.ReplyWrite((uint)data.Length); // under the owner's lock: before any later write's send
            int n = _socket.Send(data);
            if (n < 0 && n != -(int)Errno.EAGAIN)
            {
                if (!behind)
                    return IoResult.OfCall(n);
                ReleaseHeld(delivered: false);
                _laterError = (Errno)(-n);
                return IoResult.Answered;
            }
            sent = Math.Max(n, 0);
            _established |= sent > 0;
            if (sent == data.Length || (sent > 0 && _socket.KeepsMessageBoundaries))
            {
                if (!behind)
                    return IoResult.Count(sent);
                ReleaseHeld(delivered: true);
                return IoResult.Answered;
            }
            if (behind)
            {
                // The socket is full: the rest waits here, answered already; later writes wait behind it.
                _writes.Enqueue(PendingWrite.Hold(req, data[sent..], sent, acknowledged: true, Limits, _requestBufferSize, out _)!);
                HoldingQueued();
                return IoResult.Answered;
            }
        }
        if (nonBlocking)
            return sent > 0 ? IoResult.Count(sent) : IoResult.Error(Errno.EAGAIN);
        // The rest is copied if small; else the reader's buffer goes with the request and the reader takes another.
        var pending = PendingWrite.Hold(req, data[sent..], sent, acknowledged: false, Limits, _requestBufferSize, out var refused);
        if (pending is null)
            return sent > 0 ? IoResult.Count(sent) : IoResult.Error(refused);
        _writes.Enqueue(pending);
        req.Defer(_cancel);
        return IoResult.Waiting;
    }

    /// <summary>The socket has room: queued writes go out in order; each waiting one is answered
    /// once it is all sent or its send fails.</summary>
    public void Drain()
    {
        while (_writes.TryPeek(out var pending))
        {
            if (pending.Request is { IsAnswered: true })
            {
                _writes.Dequeue(); // interrupted meanwhile
                Finish(pending);
                continue;
            }
            if (pending.Request is { } waiting && _laterError != 0)
            {
                // The answered data before it failed: this write reports that, unsent.
                _writes.Dequeue();
                waiting.ReplyError(_laterError);
                _laterError = 0;
                Finish(pending);
                continue;
            }
            int n = _socket.Send(pending.Remaining);
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
                ShutdownIfDeferred();
            }
            // Done, or failed: a write that moved bytes reports them; one that moved none, the error.
            else if (pending.Total > 0)
            {
                pending.Request.ReplyWrite((uint)pending.Total);
            }
            else
            {
                pending.Request.ReplyError((Errno)(-n));
            }
        }
    }

    /// <summary>The waiting write of <paramref name="request"/>, taken out of the queue (its caller
    /// was interrupted), or null if it is not here (sent, or answered, already). Answer it with
    /// <see cref="PendingWrite.AnswerInterrupted"/> once the owner's lock is let go.</summary>
    public PendingWrite? TakeWaiting(FuseRequest request)
    {
        PendingWrite? found = null;
        int count = _writes.Count;
        for (int i = 0; i < count; i++)
        {
            var w = _writes.Dequeue();
            if (w.Request == request)
                found = w;
            else
                _writes.Enqueue(w);
        }
        return found;
    }

    /// <summary>shutdown(2) of one direction. While answered data waits, the write side closes
    /// after it has gone out; a read side closes now.</summary>
    public Errno Shutdown(int how)
    {
        if (how != Libc.SHUT_RD && _writes.TryPeek(out var first) && first.IsAcknowledged)
        {
            _shutdownAfterSend = 1;
            return how == Libc.SHUT_RDWR ? _socket.Shutdown(Libc.SHUT_RD) : 0;
        }
        return _socket.Shutdown(how);
    }

    private void ShutdownIfDeferred()
    {
        if (_shutdownAfterSend < 0)
            return;
        var e = _socket.Shutdown(_shutdownAfterSend);
        if (e != 0)
            Log?.Debug("{Socket}: shutdown after the answered data: {Errno}", _description, e);
        _shutdownAfterSend = -1;
    }

    /// <summary>The file is closed: waiting writes are answered EBADF. Answered data still unsent
    /// is sent on (the owner keeps the socket and arms it for room; <see cref="KeepSending"/>)
    /// until it is all out, a send fails, or the linger time passes without progress; true then.
    /// False: nothing is left, the socket may go.</summary>
    public bool Close()
    {
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
        if (_writes.Count == 0)
            return false;
        _lingering = true;
        Ledger!.StartLingering(_owner);
        _lingerLimit = NetnsFs.Net.Readiness.GuardedCallback.Timer(Log, "linger limit of " + _description,
            () => _owner.EndLinger("nothing was taken for the linger time"), Ledger.Linger);
        return true;
    }

    /// <summary>Closed and lingering, the socket has room: the answered data goes on out. True when
    /// lingering is over (all sent, or a send failed): the owner lets the socket go.</summary>
    public bool KeepSending()
    {
        int before = _writes.TryPeek(out var head) ? head.Remaining.Length : 0;
        Drain();
        if (_writes.Count == 0 || _laterError != 0)
            return true;
        // A slow peer that keeps taking data is not cut off: the limit counts from the last progress.
        if (_writes.Peek().Remaining.Length != before)
            _lingerLimit?.Change(Ledger!.Linger, Timeout.InfiniteTimeSpan);
        return false;
    }

    /// <summary>Stops lingering (the linger time is over, or the mount goes away): a last try, then,
    /// if data is left, the connection is set to reset, not end, when the owner closes the socket,
    /// so that the peer does not take what it got for everything. True if it is to be reset.</summary>
    public bool EndLinger(string why)
    {
        Drain();
        int unsent = 0;
        foreach (var w in _writes)
            unsent += w.Remaining.Length;
        bool reset = unsent > 0 && _laterError == 0;
        if (reset)
        {
            Log?.Warning("{Socket}: closed, {Unsent} bytes of answered writes still unsent ({Why}): resetting the connection",
                _description, unsent, why);
            _socket.ResetOnClose(); // set since the write was answered; this path does not rely on it
        }
        return reset;
    }

    /// <summary>The socket goes (the owner closes it next): whatever is queued is dropped, and the
    /// ledger forgets this socket.</summary>
    public void Release()
    {
        if (_lingering)
            Ledger?.StopLingering(_owner);
        _lingering = false;
        _lingerLimit?.Dispose();
        foreach (var w in _writes)
            Finish(w);
        _writes.Clear();
    }

    /// <summary>Whether a write of <paramref name="length"/> bytes is answered before its send: a
    /// large one, to a stream socket in use (it sent before) with no error pending, while the
    /// mount holds fewer than its maximum of such writes.</summary>
    private bool MayWriteBehind(int length)
    {
        if (Ledger is not { Enabled: true } ledger || !_established || length < WriteBehindMinimum
            || _socket.KeepsMessageBoundaries)
        {
            return false;
        }
        // A connection reset already would fail this send: say so now, not on the next write.
        if (_socket.HasFailed())
            return false;
        if (!ledger.TryHold())
            return false;
        Holding();
        return true;
    }

    /// <summary>A write is about to be answered before its send. From now until the daemon has
    /// handed all answered data to the kernel, any close of the socket resets the connection
    /// (SO_LINGER 0): ours, and above all the kernel's when the daemon is killed, runs out of
    /// memory or crashes, which would otherwise end the stream cleanly and let the peer take a cut
    /// stream for a whole one. Set before the answer, so no instant exists where the writer was
    /// told and a death would still send a FIN. Data already in the kernel's buffer is the
    /// kernel's to deliver and does not count.</summary>
    private void Holding()
    {
        if (_heldHere++ == 0)
            _socket.ResetOnClose();
    }

    /// <summary>The socket could not take all of an answered write: the rest waits in the queue.
    /// The ledger then knows this socket holds answered data, so that the end of the mount gives it
    /// a last try and a reset even while it is open. (Only here, not for a write sent at once under
    /// the lock: that costs no allocation, and nothing can end the mount in between.)</summary>
    private void HoldingQueued() => Ledger!.StartHolding(_owner);

    /// <summary>One answered write left the daemon's hands: its data all went to the kernel
    /// (<paramref name="delivered"/>), or it was dropped (a send failed; the socket went). Once none
    /// is left and none was lost, close(2) ends the connection cleanly again.</summary>
    private void ReleaseHeld(bool delivered)
    {
        Ledger!.Release();
        _heldLost |= !delivered;
        if (--_heldHere > 0)
            return;
        Ledger.StopHolding(_owner);
        if (!_heldLost)
        {
            var e = _socket.CloseNormally();
            if (e != 0)
                Log?.Debug("{Socket}: clearing SO_LINGER after the answered data went out: {Errno}", _description, e);
        }
    }

    /// <summary>Done with a queued write: its buffer goes back, and an answered one leaves the ledger.</summary>
    private void Finish(PendingWrite w)
    {
        w.Return();
        if (w.IsAcknowledged)
            ReleaseHeld(w.IsDone);
    }
}
