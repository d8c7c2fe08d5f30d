using System.Collections.Concurrent;
using Serilog;

namespace NetnsFs.Net.Namespaces;

/// <summary>New namespaces made ahead of need, so that `mkdir` in a multi mount costs a queue take
/// instead of a kernel unshare (a few hundred µs of pernet setup). One background thread keeps up to
/// <c>spares</c> of them ready; it starts at the first <see cref="Take"/> (a mount that never
/// creates holds none) and sleeps whenever the pool is full. Sustained creation is then bounded by
/// the kernel's unshare rate on that thread, while each caller only pays the FUSE round trip. When
/// the pool is empty a caller creates its own namespace at once: nobody waits for the maker.</summary>
public sealed class NamespacePool : IDisposable
{
    private readonly ConcurrentQueue<NetNamespace> _spares = new();
    private readonly AutoResetEvent _wanted = new(false);
    private readonly int _target;
    private readonly ILogger _log;
    private Thread? _maker;
    private volatile bool _disposed;

    /// <param name="spares">How many to keep ready; 0 makes every namespace on demand.</param>
    public NamespacePool(int spares, ILogger log)
    {
        _target = Math.Max(0, spares);
        _log = log.ForContext<NamespacePool>();
    }

    /// <summary>Namespaces ready to be taken.</summary>
    public int SpareCount => _spares.Count;

    /// <summary>A new namespace (lo up), owned by the caller. Throws <see cref="NetException"/> with
    /// the kernel's errno when none can be made (EPERM without CAP_SYS_ADMIN, ENOSPC at the
    /// user.max_net_namespaces limit).</summary>
    public NetNamespace Take()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_target == 0)
            return NetNamespace.Create();
        var ns = _spares.TryDequeue(out var spare) ? spare : NetNamespace.Create();
        StartMaker();
        _wanted.Set();
        return ns;
    }

    private void StartMaker()
    {
        if (_maker is not null)
            return;
        var thread = new Thread(MakerLoop) { IsBackground = true, Name = "netns-maker" };
        if (Interlocked.CompareExchange(ref _maker, thread, null) is null)
            thread.Start();
    }

    private void MakerLoop()
    {
        // This thread does nothing but create: between two unshares it stays inside the namespace
        // it made last (unshare from there is as good as from home), which saves a setns per
        // namespace. It goes home before it sleeps: a thread inside a namespace would keep it alive
        // after its name is removed.
        while (!_disposed)
        {
            NetNamespace.ReturnHome();
            _wanted.WaitOne();
            while (!_disposed && _spares.Count < _target)
            {
                NetNamespace ns;
                try
                {
                    ns = NetNamespace.CreateHere();
                }
                catch (NetException e)
                {
                    // The caller's own attempt reports the errno; retry at the next take.
                    _log.Debug("making a spare namespace failed: {Message}", e.Message);
                    break;
                }
                _spares.Enqueue(ns);
            }
        }
        NetNamespace.ReturnHome();
        DisposeSpares(); // one the maker enqueued after Dispose drained the queue
    }

    private void DisposeSpares()
    {
        while (_spares.TryDequeue(out var ns))
            ns.Dispose();
    }

    /// <summary>Stops the maker and releases the spares (the kernel frees them: nothing else holds them).</summary>
    public void Dispose()
    {
        _disposed = true;
        _wanted.Set();
        _maker?.Join(TimeSpan.FromSeconds(2));
        DisposeSpares();
    }
}
