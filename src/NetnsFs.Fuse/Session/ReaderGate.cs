using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Protocol;

namespace NetnsFs.Fuse.Session;

/// <summary>Decides which /dev/fuse readers may wait in read(2). The kernel wakes the readers
/// blocked on the device oldest first, so with all of them in read(2) the requests of a
/// ping-pong alternate threads and, on a small machine, CPUs: each request paid a cross-CPU
/// wake-up (a round trip 1.3x that of one reader, on a 2-vCPU VM). So while requests are small the
/// gate is solo: one reader holds a token and keeps it across quick requests (it answers them and
/// reads again, on the CPU its caller just woke it on); before a request that may take long, or
/// when a handler is about to wait for the kernel, it passes the token to a parked reader, so no
/// request waits for another. Bulk transfers go the other way: one busy reader pulls the peer that
/// produces or consumes the data onto its CPU (the scheduler places a woken task near its waker)
/// and starves it. So a transfer of <see cref="BigTransfer"/> or more opens the gate: every reader
/// reads, as before; it closes again once no such transfer was seen for <see cref="SoloAfterMs"/>.</summary>
internal sealed class ReaderGate
{
    internal const int BigTransfer = 64 * 1024;
    internal const long SoloAfterMs = 100;

    [ThreadStatic]
    private static ReaderGate? t_gate;

    [ThreadStatic]
    private static int t_generation;

    private readonly object _sync = new();
    private volatile bool _open;
    private volatile int _generation; // changes with every opening and closing: tokens of before are void
    private bool _taken;              // under _sync
    private long _lastBig;

    private bool HeldHere => t_gate == this && t_generation == _generation;

    /// <summary>Before each read(2): returns at once if the gate is open or this thread holds the
    /// token, else waits for the token.</summary>
    public void Enter()
    {
        if (_open)
        {
            if (Environment.TickCount64 - Volatile.Read(ref _lastBig) < SoloAfterMs)
                return;
            Close();
        }
        if (HeldHere)
            return;
        lock (_sync)
        {
            while (_taken && !_open)
                Monitor.Wait(_sync);
            if (_open)
                return;
            _taken = true;
            t_gate = this;
            t_generation = _generation;
        }
    }

    /// <summary>After a read(2), before the request is handled: a slow request passes the token on;
    /// a big write opens the gate.</summary>
    public void Before(ReadOnlySpan<byte> message)
    {
        if (message.Length >= BigTransfer)
            SawBig();
        if (!IsQuick(message))
            PassIfHeld();
    }

    /// <summary>Lets a parked reader read, if this thread holds the token; a no-op otherwise.</summary>
    public void PassIfHeld()
    {
        if (!HeldHere)
            return;
        t_gate = null;
        lock (_sync)
        {
            if (t_generation != _generation)
                return;
            _taken = false;
            Monitor.Pulse(_sync);
        }
    }

    /// <summary>A transfer of <see cref="BigTransfer"/> or more (a big write, or a big reply).</summary>
    public void SawBig()
    {
        Volatile.Write(ref _lastBig, Environment.TickCount64);
        if (!_open)
            Open();
    }

    /// <summary>Every reader reads (bulk transfers, and stopping).</summary>
    public void Open()
    {
        lock (_sync)
        {
            if (_open)
                return;
            _open = true;
            _generation++;
            _taken = false;
            Monitor.PulseAll(_sync);
        }
    }

    private void Close()
    {
        lock (_sync)
        {
            // A big transfer may have been seen since the caller looked (it found the gate open).
            if (!_open || Environment.TickCount64 - Volatile.Read(ref _lastBig) < SoloAfterMs)
                return;
            _open = false;
            _generation++;
            _taken = false;
        }
    }

    /// <summary>Whether a request is one its reader answers quickly and without waiting: I/O on an
    /// open file, opens and releases (a connect that has to wait is deferred), lookups, attributes,
    /// links read. Making or removing namespaces and links, and directory listings, pass the token
    /// first; a quick one whose handler finds it has slow work to do (a snapshot, a name to look
    /// up) passes it then (<see cref="FuseRequest.WillTakeLong"/>).</summary>
    internal static bool IsQuick(ReadOnlySpan<byte> message) =>
        RequestDecoder.TryPeekOpcode(message, out var opcode) && opcode is FuseOpcode.Read or FuseOpcode.Write
            or FuseOpcode.Poll or FuseOpcode.Interrupt or FuseOpcode.Forget or FuseOpcode.BatchForget
            or FuseOpcode.GetAttr or FuseOpcode.SetAttr or FuseOpcode.Access or FuseOpcode.StatFs
            or FuseOpcode.Flush or FuseOpcode.Lookup or FuseOpcode.Open or FuseOpcode.Create
            or FuseOpcode.Release or FuseOpcode.OpenDir or FuseOpcode.ReleaseDir or FuseOpcode.ReadLink;
}
