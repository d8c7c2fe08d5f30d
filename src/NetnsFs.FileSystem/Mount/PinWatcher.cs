using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Namespaces;
using NetnsFs.Net.Readiness;
using Serilog;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.FileSystem.Mount;

/// <summary>Where a watched pin's namespace goes (a multi mount's root).</summary>
internal interface IPinTarget
{
    /// <summary>Shows <paramref name="ns"/> as NAME; false (and the namespace left to the caller)
    /// when the name is taken.</summary>
    bool AddPinned(string name, NetNamespace ns);

    /// <summary>The pin is gone: so is NAME (sockets made in it live on).</summary>
    void RemovePinned(string name);

    /// <summary>The names shown for pins now.</summary>
    IReadOnlyCollection<string> PinnedNames { get; }
}

/// <summary>-o multi,watch=PINDIR: every network namespace pinned in PINDIR (`ip netns add`, CNI
/// and containerd sandboxes bind-mount them there) is a directory of the mount while its pin
/// exists. inotify on the directory, read on the readiness thread (no polling); the mount opens
/// each pin and holds that fd, so sockets already open keep working after the pin goes. A pin is
/// made as a file first and bind-mounted a moment later, so a new file that is not (yet) a network
/// namespace is tried again a few times over half a second, then skipped with one log line.
/// PINDIR is an fd opened by the launcher in the mounter's mount namespace: the daemon's own copy
/// would not see bind mounts made after it started.</summary>
internal sealed unsafe class PinWatcher : IReadinessListener, IDisposable
{
    private static readonly int[] RetryMilliseconds = [10, 20, 40, 80, 160, 200];

    private readonly int _dir;
    private readonly string _display;
    private readonly IPinTarget _target;
    private readonly ILogger _log;
    private readonly ReadinessEngine _engine;
    private readonly int _inotify;
    private readonly ulong _key;
    private readonly ConcurrentDictionary<string, Timer> _retries = new();
    private readonly Lock _lock = new();
    private volatile bool _disposed;

    /// <param name="dir">PINDIR, an O_PATH or O_RDONLY directory fd this watcher now owns.</param>
    /// <param name="display">Its path, for logs.</param>
    public PinWatcher(int dir, string display, ReadinessEngine engine, IPinTarget target, ILogger log)
    {
        _dir = dir;
        _display = display;
        _target = target;
        _log = log;
        _engine = engine;
        _inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (_inotify < 0)
            throw new IOException("inotify_init1: " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
        if (inotify_add_watch(_inotify, $"/proc/self/fd/{dir.ToString(CultureInfo.InvariantCulture)}", IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR) < 0)
        {
            var e = new IOException($"inotify on {display}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            close(_inotify);
            throw e;
        }
        _key = engine.Register(_inotify, this);
        Rescan();
    }

    /// <summary>Events are read on the readiness thread only.</summary>
    private readonly byte[] _buffer = new byte[64 * 1024];

    public void OnReadiness(IoEvents events)
    {
        var buffer = _buffer;
        while (!_disposed)
        {
            nint n;
            fixed (byte* p = buffer)
                n = read(_inotify, p, buffer.Length);
            if (n <= 0)
                return; // EAGAIN: all read (edge-triggered)
            for (int off = 0; off + InotifyEventSize <= n;)
            {
                uint mask = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(off + 4));
                int len = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(off + 12));
                var raw = buffer.AsSpan(off + InotifyEventSize, len);
                int nul = raw.IndexOf((byte)0);
                string name = Encoding.UTF8.GetString(nul < 0 ? raw : raw[..nul]);
                off += InotifyEventSize + len;
                if ((mask & IN_Q_OVERFLOW) != 0)
                    Rescan();
                else if ((mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0)
                    _log.Warning("{Dir}: the watched directory went; its pins stay shown until unmount", _display);
                else if ((mask & (IN_CREATE | IN_MOVED_TO)) != 0)
                    TryAdd(name, 0);
                else if ((mask & (IN_DELETE | IN_MOVED_FROM)) != 0)
                    Remove(name);
            }
        }
    }

    /// <summary>Every pin there now shown, every name shown without a pin removed (at start, and
    /// after the kernel's event queue overflowed).</summary>
    private void Rescan()
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries($"/proc/self/fd/{_dir.ToString(CultureInfo.InvariantCulture)}"))
                present.Add(Path.GetFileName(entry));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning("{Dir}: cannot list it: {Message}", _display, e.Message);
            return;
        }
        foreach (var name in _target.PinnedNames.Where(n => !present.Contains(n)).ToList())
            Remove(name);
        foreach (var name in present.Where(n => !_target.PinnedNames.Contains(n)))
            TryAdd(name, 0);
    }

    private void TryAdd(string name, int attempt)
    {
        if (_disposed || name.Length == 0)
            return;
        int fd = openat(_dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0 && Marshal.GetLastPInvokeError() == (int)Errno.ENOENT)
            return; // gone again before it was a pin
        NetNamespace? ns = null;
        string why = "cannot be opened";
        try
        {
            if (fd >= 0)
                ns = NetNamespace.Adopt(fd, Path.Combine(_display, name)); // closes fd if it is no network namespace
        }
        catch (NetException e)
        {
            why = e.Message;
        }
        if (ns is null)
        {
            if (attempt < RetryMilliseconds.Length)
            {
                // Not bind-mounted yet, most likely: ip netns and CNI create the file first.
                var timer = new Timer(_ => TryAdd(name, attempt + 1));
                if (_retries.TryGetValue(name, out var old))
                    old.Dispose();
                _retries[name] = timer;
                timer.Change(RetryMilliseconds[attempt], Timeout.Infinite);
                return;
            }
            _retries.TryRemove(name, out _);
            _log.Warning("{Dir}/{Name} is not a network namespace ({Why}): not shown", _display, name, why);
            return;
        }
        if (_retries.TryRemove(name, out var pending))
            pending.Dispose();
        lock (_lock)
        {
            if (_disposed || !_target.AddPinned(name, ns))
            {
                ns.Dispose();
                if (!_disposed)
                    _log.Warning("{Dir}/{Name}: the name is taken in the mount: not shown", _display, name);
                return;
            }
        }
        _log.Information("{Dir}/{Name} pinned: shown (namespace {Inode})", _display, name, ns.Inode);
    }

    private void Remove(string name)
    {
        if (_retries.TryRemove(name, out var pending))
            pending.Dispose();
        lock (_lock)
        {
            if (!_target.PinnedNames.Contains(name))
                return;
            _target.RemovePinned(name);
        }
        _log.Information("{Dir}/{Name} unpinned: removed from the mount", _display, name);
    }

    public void Dispose()
    {
        _disposed = true;
        _engine.Unregister(_inotify, _key);
        close(_inotify);
        close(_dir);
        foreach (var t in _retries.Values)
            t.Dispose();
    }
}
