using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Serilog;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Net.Readiness;

/// <summary>One epoll instance and one thread for every socket of the daemon, after the .NET
/// runtime's SocketAsyncEngine. An fd is registered once: edge-triggered for in, out and hang-up
/// (<see cref="Register(int, IReadinessListener)"/>), or disarmed and armed one-shot for what a waiter needs
/// (<see cref="RegisterQuiet"/>, <see cref="Arm"/>). Each event goes to the fd's listener on this
/// thread. No thread per socket or per namespace, and no polling loop: the thread sleeps in
/// epoll_wait until something happens.</summary>
public sealed unsafe class ReadinessEngine : IDisposable
{
    private const int BatchSize = 256;
    private const ulong WakeKey = 0;

    private readonly int _epfd;
    private readonly int _wakeFd;
    private readonly ConcurrentDictionary<ulong, IReadinessListener> _listeners = new();
    private readonly Thread _thread;
    private readonly ILogger _log;
    private readonly ConcurrentQueue<ulong> _requeued = new();
    private long _nextKey;
    private volatile bool _stopping;

    public ReadinessEngine(ILogger log)
    {
        _log = log.ForContext<ReadinessEngine>();
        _epfd = epoll_create1(EPOLL_CLOEXEC);
        if (_epfd < 0)
            throw NetException.FromLastError("epoll_create1");
        _wakeFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (_wakeFd < 0)
            throw NetException.FromLastError("eventfd");
        var ev = new EpollEvent { Events = (uint)IoEvents.In, Data = WakeKey };
        epoll_ctl(_epfd, EPOLL_CTL_ADD, _wakeFd, &ev);
        _thread = new Thread(Loop) { IsBackground = true, Name = "readiness" };
        _thread.Start();
    }

    /// <summary>Watches <paramref name="fd"/>; returns the key to unregister it with.</summary>
    public ulong Register(int fd, IReadinessListener listener) => Register(fd, listener, out _);

    /// <summary>As <see cref="Register(int, IReadinessListener)"/>, storing the key in
    /// <paramref name="key"/> (a field of the listener) before the fd is added: its first event
    /// may be delivered on this engine's thread before this returns, and a listener that finishes
    /// there unregisters with the key it finds.</summary>
    public ulong Register(int fd, IReadinessListener listener, out ulong key)
    {
        key = (ulong)Interlocked.Increment(ref _nextKey);
        _listeners[key] = listener;
        var ev = new EpollEvent
        {
            Events = (uint)(IoEvents.In | IoEvents.Out | IoEvents.RdHup | IoEvents.Pri | IoEvents.EdgeTriggered),
            Data = key,
        };
        if (epoll_ctl(_epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        {
            var e = NetException.FromLastError("epoll_ctl ADD");
            _listeners.TryRemove(key, out _);
            key = 0;
            throw e;
        }
        return key;
    }

    /// <summary>Registers <paramref name="fd"/> disarmed: nothing is reported for it (at most one
    /// error or hang-up) until <see cref="Arm"/> asks for events. For the busy sockets of socket
    /// files: a socket whose data is taken as it comes never wakes this thread.</summary>
    public ulong RegisterQuiet(int fd, IReadinessListener listener)
    {
        ulong key = (ulong)Interlocked.Increment(ref _nextKey);
        _listeners[key] = listener;
        var ev = new EpollEvent { Events = (uint)IoEvents.OneShot, Data = key };
        if (epoll_ctl(_epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        {
            _listeners.TryRemove(key, out _);
            throw NetException.FromLastError("epoll_ctl ADD");
        }
        return key;
    }

    /// <summary>Asks for one report when any of <paramref name="interest"/> holds (at once if it
    /// already does: level-triggered), after which the fd is disarmed again; errors and hang-ups are
    /// always reported, a peer's half-close (RdHup) only if asked for. Returns 0 or the errno.</summary>
    public int Arm(int fd, ulong key, IoEvents interest)
    {
        var ev = new EpollEvent { Events = (uint)(interest | IoEvents.OneShot), Data = key };
        return epoll_ctl(_epfd, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Stops watching; call before closing the fd. Events already taken for it are dropped.
    /// Only a live key removes the fd: EPOLL_CTL_DEL names an fd, not a registration, and a second
    /// or late call with a spent key would otherwise remove whatever the fd is registered as now
    /// (the same socket, re-registered by the file that took it over from a connect), and that
    /// registration would never report again.</summary>
    public void Unregister(int fd, ulong key)
    {
        if (_listeners.TryRemove(key, out _))
            epoll_ctl(_epfd, EPOLL_CTL_DEL, fd, null);
    }

    /// <summary>Delivers <see cref="IReadinessListener.OnReadiness"/>(<see cref="IoEvents.In"/>) to
    /// <paramref name="key"/>'s listener again on this thread, after the other fds of the current
    /// batch, with no new epoll event. For a listener that stops after a bounded amount of work
    /// (one client pipelining requests, a burst of accepts) while its edge-triggered fd still has
    /// more: it is resumed, fairly, behind everyone else who was ready. Any thread may call it.</summary>
    public void Requeue(ulong key)
    {
        _requeued.Enqueue(key);
        ulong one = 1;
        write(_wakeFd, &one, 8); // wakes epoll_wait (level-triggered until the loop reads it)
    }

    private void Loop()
    {
        var events = (EpollEvent*)NativeMemory.Alloc((nuint)(BatchSize * sizeof(EpollEvent)));
        try
        {
            while (!_stopping)
            {
                int n = epoll_wait(_epfd, events, BatchSize, -1);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == 4 /* EINTR */)
                        continue;
                    // As dotnet/runtime's SocketAsyncEngine: with no readiness thread every deferred
                    // request (reads, accepts, connects, lookups) would hang unseen; dying makes the
                    // kernel fail each of them at once (ENOTCONN) and shows why.
                    FailFast(errno);
                }
                bool woken = false;
                for (int i = 0; i < n; i++)
                {
                    ulong key = events[i].Data;
                    if (key == WakeKey)
                    {
                        woken = true;
                        continue;
                    }
                    if (_listeners.TryGetValue(key, out var listener))
                        Deliver(listener, (IoEvents)events[i].Events);
                }
                if (woken)
                    DeliverRequeued();
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    /// <summary>The listeners requeued before this wake-up, once each in order; those they requeue
    /// now wait for the next round, behind the fds that are ready by then.</summary>
    private void DeliverRequeued()
    {
        ulong count;
        read(_wakeFd, &count, 8); // resets the eventfd: the next Requeue wakes us again
        for (int pending = _requeued.Count; pending > 0 && _requeued.TryDequeue(out ulong key); pending--)
        {
            if (_listeners.TryGetValue(key, out var listener))
                Deliver(listener, IoEvents.In);
        }
        if (!_requeued.IsEmpty)
        {
            ulong one = 1;
            write(_wakeFd, &one, 8);
        }
    }

    /// <summary>epoll_wait failed other than by a signal: nothing deferred could finish any more.</summary>
    internal static void FailFast(int errno) =>
        Environment.FailFast($"netnsfs: epoll_wait failed with errno {errno}: the readiness thread cannot go on, and every deferred request would hang");

    private void Deliver(IReadinessListener listener, IoEvents events)
    {
        try
        {
            listener.OnReadiness(events);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.Error(e, "readiness listener threw");
        }
    }

    public void Dispose()
    {
        _stopping = true;
        ulong one = 1;
        write(_wakeFd, &one, 8);
        _thread.Join(TimeSpan.FromSeconds(2));
        close(_wakeFd);
        close(_epfd);
    }
}
