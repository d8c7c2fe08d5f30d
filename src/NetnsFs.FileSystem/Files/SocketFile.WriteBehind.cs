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
        return ledger.TryHold();
    }

    /// <summary>Done with a queued write: its buffer goes back, and an answered one leaves the ledger.</summary>
    private void Finish(PendingWrite w)
    {
        w.Return();
        if (w.IsAcknowledged)
            WriteBehind?.Release();
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
    /// peer does not take what it got for everything.</summary>
    internal void EndLinger(string why)
    {
        lock (_lock)
        {
            if (!_lingering)
                return;
            DrainWrites();
            int unsent = 0;
            foreach (var w in _writes)
                unsent += w.Remaining.Length;
            if (unsent > 0 && _laterError == 0)
            {
                Log?.Warning("{Socket}: closed, {Unsent} bytes of answered writes still unsent ({Why}): resetting the connection",
                    Description, unsent, why);
                Socket.ResetOnClose();
            }
            ReleaseSocket();
        }
    }
}
