using Mono.Unix.Native;
using NetnsFs.Net.Readiness;

namespace NetnsFs.FileSystem.Files;

/// <summary>Write-behind: large writes answered before their send, and what follows from that (an
/// error reported by the next write, a shutdown that waits, sending on after close).</summary>
public sealed partial class SocketFile
{
    /// <summary>Stream writes at least this large, once the socket has sent something (it is
    /// connected), are answered as soon as the daemon holds the data, and sent after. A FUSE write
    /// otherwise waits for the send, so the writer's next copy into the daemon could never overlap
    /// this one's copy into the socket, as a writer into a socket buffer overlaps the relay behind
    /// it. An error of such a send is the result of the next write, as with an error a socket
    /// learns after it took the data. Smaller writes cost little to copy and keep their exact result.</summary>
    public const int WriteBehindMinimum = 64 * 1024;

    private bool _established;       // a send succeeded: connected, write-behind may begin
    private Errno _laterError;       // the failure of an acknowledged write, for the next write
    private int _shutdownAfterSend = -1; // a shutdown that waits for acknowledged data to go out
    private bool _lingering;         // closed, still sending acknowledged data, as close(2) does
    private Timer? _lingerLimit;     // restarted whenever lingering data moves
    private int _heldHere;           // this socket's answered writes whose data is not all with the kernel
    private bool _heldLost;          // one of them was dropped unsent: the stream has a hole for good

    /// <summary>The mount's write-behind settings and bounds; null: every write is answered only
    /// with what its socket took.</summary>
    public WriteBehindLedger? WriteBehind { get; init; }

    /// <summary>Whether a write of <paramref name="length"/> bytes is answered before its send: a
    /// large one, to a stream socket in use (it sent before) with no error pending, while the
    /// mount holds fewer than its maximum of such writes.</summary>
    private bool MayWriteBehind(int length)
    {
        if (WriteBehind is not { Enabled: true } ledger || !_established || length < WriteBehindMinimum
            || Socket.Kind.KeepsMessageBoundaries)
            return false;
        // A connection reset already would fail this send: say so now, not on the next write.
        if ((Socket.PollNow(IoEvents.Err | IoEvents.Hup) & (IoEvents.Err | IoEvents.Hup)) != 0)
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
            Socket.ResetOnClose();
    }

    /// <summary>The socket could not take all of an answered write: the rest waits in the queue.
    /// The ledger then knows this socket holds answered data, so that the end of the mount gives it
    /// a last try and a reset even while it is open. (Only here, not for a write sent at once under
    /// the lock: that costs no allocation, and nothing can end the mount in between.)</summary>
    private void HoldingQueued() => WriteBehind!.StartHolding(this);

    /// <summary>One answered write left the daemon's hands: its data all went to the kernel
    /// (<paramref name="delivered"/>), or it was dropped (a send failed; the socket went). Once none
    /// is left and none was lost, close(2) ends the connection cleanly again.</summary>
    private void ReleaseHeld(bool delivered)
    {
        WriteBehind!.Release();
        _heldLost |= !delivered;
        if (--_heldHere > 0)
            return;
        WriteBehind.StopHolding(this);
        if (!_heldLost)
        {
            var e = Socket.CloseNormally();
            if (e != 0)
                Log?.Debug("{Socket}: clearing SO_LINGER after the answered data went out: {Errno}", Description, e);
        }
    }

    /// <summary>Done with a queued write: its buffer goes back, and an answered one leaves the ledger.</summary>
    private void Finish(PendingWrite w)
    {
        w.Return();
        if (w.IsAcknowledged)
            ReleaseHeld(w.IsDone);
    }

    /// <summary>Closed with answered data still unsent: it is sent on (<see cref="KeepSending"/>)
    /// until it is all out, a send fails, or the linger time passes without progress.</summary>
    private void StartLingering()
    {
        _lingering = true;
        WriteBehind!.StartLingering(this);
        ArmLocked();
        _lingerLimit = NetnsFs.Net.Readiness.GuardedCallback.Timer(Log, "linger limit of " + Description, () => EndLinger("nothing was taken for the linger time"), WriteBehind.Linger);
    }

    /// <summary>Closed with acknowledged data still unsent: it goes out first, then the socket
    /// closes, as a socket's close(2) sends what its buffer holds. A failed send ends it.</summary>
    private void KeepSending()
    {
        _armed = IoEvents.None;
        int before = _writes.TryPeek(out var head) ? head.Remaining.Length : 0;
        DrainWrites();
        if (_writes.Count == 0 || _laterError != 0)
        {
            ReleaseSocket();
            return;
        }
        // A slow peer that keeps taking data is not cut off: the limit counts from the last progress.
        if (_writes.Peek().Remaining.Length != before)
            _lingerLimit?.Change(WriteBehind!.Linger, Timeout.InfiniteTimeSpan);
        ArmLocked();
    }

    /// <summary>Stops sending answered data after close (the linger time is over, or the mount goes
    /// away): a last try, then, if data is left, the connection is reset, not ended, so that the
    /// peer does not take what it got for everything. True if it was reset.</summary>
    internal bool EndLinger(string why)
    {
        lock (_lock)
        {
            if (!_lingering)
                return false;
            DrainWrites();
            int unsent = 0;
            foreach (var w in _writes)
                unsent += w.Remaining.Length;
            bool reset = unsent > 0 && _laterError == 0;
            if (reset)
            {
                Log?.Warning("{Socket}: closed, {Unsent} bytes of answered writes still unsent ({Why}): resetting the connection",
                    Description, unsent, why);
                Socket.ResetOnClose(); // set since the write was answered; this path does not rely on it
            }
            ReleaseSocket();
            return reset;
        }
    }
}
