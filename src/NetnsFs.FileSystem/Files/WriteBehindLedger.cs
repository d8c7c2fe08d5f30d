using System.Collections.Concurrent;
using Serilog;

namespace NetnsFs.FileSystem.Files;

/// <summary>What write-behind holds across a mount (<see cref="WriteQueue.WriteBehindMinimum"/>):
/// answered writes whose data a socket has not taken yet, the sockets holding them, and the closed
/// sockets still sending such data. Bounded, so that stalled peers cannot make the daemon hold
/// unbounded memory: once <see cref="MaxHeldWrites"/> are held, large writes wait for their socket
/// like small ones.</summary>
public sealed class WriteBehindLedger(TimeSpan linger)
{
    /// <summary>Each held write keeps one request buffer (max_write plus a page: about 1 MiB).</summary>
    public const int MaxHeldWrites = 64;

    private readonly ConcurrentDictionary<IHoldsAnsweredWrites, byte> _lingering = new();
    private readonly ConcurrentDictionary<IHoldsAnsweredWrites, byte> _holding = new();
    private int _held;

    /// <summary>How long a closed socket file still sends answered data (zero: no write-behind).</summary>
    public TimeSpan Linger { get; } = linger;

    public bool Enabled => Linger > TimeSpan.Zero;

    /// <summary>Where the end of the mount says how many connections it had to reset.</summary>
    public ILogger? Log { get; init; }

    /// <summary>Writes answered before their socket took them all (including those being sent now).</summary>
    public int HeldWrites => Volatile.Read(ref _held);

    public int LingeringSockets => _lingering.Count;

    /// <summary>Claims room for one write about to be answered early; false when the mount holds
    /// its maximum already.</summary>
    public bool TryHold()
    {
        int held = Volatile.Read(ref _held);
        while (held < MaxHeldWrites)
        {
            int seen = Interlocked.CompareExchange(ref _held, held + 1, held);
            if (seen == held)
                return true;
            held = seen;
        }
        return false;
    }

    public void Release() => Interlocked.Decrement(ref _held);

    /// <summary>A socket (open or closed) now holds answered data the kernel has not taken.</summary>
    internal void StartHolding(IHoldsAnsweredWrites file) => _holding.TryAdd(file, 0);

    internal void StopHolding(IHoldsAnsweredWrites file) => _holding.TryRemove(file, out _);

    internal void StartLingering(IHoldsAnsweredWrites file) => _lingering.TryAdd(file, 0);

    internal void StopLingering(IHoldsAnsweredWrites file) => _lingering.TryRemove(file, out _);

    /// <summary>At the end of the mount (unmounted, or stopped with files still open): the daemon
    /// cannot keep sending, so every socket still holding answered data, open or lingering, gets a
    /// last try and is reset if data is left (the peer must not take a cut stream for a whole one).
    /// Logs how many were reset; returns that count.</summary>
    public int EndAll()
    {
        // An open one is closed first: it then lingers like any closed socket with data left.
        foreach (var file in _holding.Keys)
            file.Close();
        int ended = 0, reset = 0;
        foreach (var file in _lingering.Keys)
        {
            ended++;
            if (file.EndLinger("the mount is going away"))
                reset++;
        }
        Log?.Information("the mount ends: {Reset} connections reset with answered data unsent ({Finished} more sent the last of it)",
            reset, ended - reset);
        return reset;
    }
}

/// <summary>A socket file as the ledger sees it: it may hold answered data, and the end of the
/// mount ends it.</summary>
internal interface IHoldsAnsweredWrites
{
    /// <summary>Closes the file as its last release does: answered data left makes it linger.</summary>
    void Close();

    /// <summary>Stops lingering: a last try to send, then the socket goes, reset if data is left
    /// (true then). False if it was not lingering.</summary>
    bool EndLinger(string why);
}
