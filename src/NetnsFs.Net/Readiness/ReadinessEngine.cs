using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Serilog;
using static NetnsFs.Net.Native.NetLibc;

namespace NetnsFs.Net.Readiness;

/// <summary>One epoll instance and one thread for every socket of the daemon, after the .NET
/// runtime's SocketAsyncEngine: fds are registered once, edge-triggered, for in, out and hang-up;
/// each event goes to the fd's listener on this thread. No thread per socket or per namespace,
/// and no polling loop: the thread sleeps in epoll_wait until something happens.</summary>
public sealed unsafe class ReadinessEngine : IDisposable
{
    private const int BatchSize = 256;
    private const ulong WakeKey = 0;

    private readonly int _epfd;
    private readonly int _wakeFd;
    private readonly ConcurrentDictionary<ulong, IReadinessListener> _listeners = new();
    private readonly Thread _thread;
    private readonly ILogger _log;
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

    public int Count => _listeners.Count;

    /// <summary>Watches <paramref name="fd"/>; returns the key to unregister it with.</summary>
    public ulong Register(int fd, IReadinessListener listener)
    {
        ulong key = (ulong)Interlocked.Increment(ref _nextKey);
        _listeners[key] = listener;
        var ev = new EpollEvent
        {
            Events = (uint)(IoEvents.In | IoEvents.Out | IoEvents.RdHup | IoEvents.Pri | IoEvents.EdgeTriggered),
            Data = key,
        };
        if (epoll_ctl(_epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        {
            _listeners.TryRemove(key, out _);
            throw NetException.FromLastError("epoll_ctl ADD");
        }
        return key;
    }

    /// <summary>Stops watching; call before closing the fd. Events already taken for it are dropped.</summary>
    public void Unregister(int fd, ulong key)
    {
        _listeners.TryRemove(key, out _);
        epoll_ctl(_epfd, EPOLL_CTL_DEL, fd, null);
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
                    if (Marshal.GetLastPInvokeError() == 4 /* EINTR */)
                        continue;
                    _log.Error("epoll_wait failed: {Errno}", Marshal.GetLastPInvokeError());
                    return;
                }
                for (int i = 0; i < n; i++)
                {
                    ulong key = events[i].Data;
                    if (key == WakeKey)
                        continue;
                    if (_listeners.TryGetValue(key, out var listener))
                        Deliver(listener, (IoEvents)events[i].Events);
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

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
