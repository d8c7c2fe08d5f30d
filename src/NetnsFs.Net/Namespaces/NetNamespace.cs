using System.Runtime.InteropServices;
using NetnsFs.Interop;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Net.Namespaces;

/// <summary>A network namespace held by an open fd. Holding the fd keeps the namespace alive;
/// disposing it lets the kernel free the namespace once nothing else (a process, a mount, a socket)
/// holds it. Sockets are made inside it with <see cref="Enter"/>: setns on the calling thread only,
/// undone before the thread does anything else. The fd is reference counted like a SafeHandle:
/// every <see cref="Enter"/> scope holds a reference, and <see cref="Dispose"/> (rmdir, unmount)
/// closes the fd only when the last scope ends. Closing it under a thread that is about to setns
/// would let the number be reused by another namespace's fd (a spare's), and the socket would land
/// there.</summary>
public sealed unsafe class NetNamespace : IDisposable
{
    private readonly int _fd;

    // 1 for the owner until Dispose, plus 1 per live Enter scope; the fd closes when it drops to 0.
    private int _refs = 1;
    private int _disposed;

    private NetNamespace(int fd, string origin)
    {
        _fd = fd;
        Origin = origin;
        Inode = InodeOf(fd);
    }

    /// <summary>The daemon's own namespace: where every thread returns after a call inside another.</summary>
    public static NetNamespace Home { get; } = OpenHome();

    /// <summary>The nsfs inode number: what `ls -L -i /proc/PID/ns/net` and `lsns` show.</summary>
    public ulong Inode { get; }

    /// <summary>How it was obtained: "created", "current", or the path it was opened from.</summary>
    public string Origin { get; }

    /// <summary>The fd, for handing to a child at start-up and naming in `ns`; not for setns (use
    /// <see cref="Enter"/>, which holds it open).</summary>
    public int Fd => Volatile.Read(ref _refs) > 0 ? _fd : throw new ObjectDisposedException(nameof(NetNamespace));

    /// <summary>Whether <see cref="Dispose"/> has run (the namespace was removed).</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    private static NetNamespace OpenHome()
    {
        int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            throw NetException.FromLastError("open /proc/self/ns/net");
        return new NetNamespace(fd, "home");
    }

    /// <summary>The namespace of the calling thread (the mounter's, by default).</summary>
    public static NetNamespace OpenCurrent()
    {
        int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            throw NetException.FromLastError("open /proc/thread-self/ns/net");
        return new NetNamespace(fd, "current");
    }

    /// <summary>Opens an existing namespace by path (/run/netns/NAME, /proc/PID/ns/net, a bind
    /// mount); fails with ENOTTY/EINVAL and a clear message when the path is no network namespace.</summary>
    public static NetNamespace Open(string path) => Open(path, path);

    /// <summary>Opens <paramref name="path"/>, remembered as <paramref name="origin"/> (what the user named).</summary>
    public static NetNamespace Open(string path, string origin)
    {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            throw NetException.FromLastError($"cannot open namespace {origin}");
        return Adopt(fd, origin);
    }

    /// <summary>Takes ownership of an fd passed in by another process, checking what it is.</summary>
    public static NetNamespace Adopt(int fd, string origin)
    {
        int type = ioctl(fd, NS_GET_NSTYPE, null);
        if (type != CLONE_NEWNET)
        {
            var errno = type < 0 ? (Errno)Marshal.GetLastPInvokeError() : Errno.EINVAL;
            close(fd);
            string what = type < 0 ? "is not a namespace" : "is a namespace, but not a network namespace";
            throw new NetException(errno == Errno.ENOTTY ? Errno.EINVAL : errno, $"{origin} {what}");
        }
        return new NetNamespace(fd, origin);
    }

    /// <summary>A namespace this process cannot enter, served through <paramref name="proxy"/> (see
    /// <see cref="INamespaceProxy"/>); <paramref name="ownerUid"/> is the owner of its user
    /// namespace, a child of this process's, who holds every capability in it.</summary>
    public static NetNamespace AdoptThrough(int fd, string origin, INamespaceProxy proxy, uint ownerUid)
    {
        var ns = Adopt(fd, origin);
        ns.Proxy = proxy;
        ns.OwnerUid = ownerUid;
        return ns;
    }

    /// <summary>Where it cannot be entered, what does its work inside (null: <see cref="Enter"/>).</summary>
    public INamespaceProxy? Proxy { get; private set; }

    /// <summary>The uid that holds every capability in it by owning its user namespace, when that
    /// is a child of the daemon's (a proxied namespace); null otherwise.</summary>
    public uint? OwnerUid { get; private set; }

    /// <summary>A /proc/sys/net or /proc/thread-self/net file as a thread inside reads it; null if unreadable.</summary>
    public string? ReadInside(string path)
    {
        if (Proxy is { } proxy)
            return proxy.Read(path);
        using (Enter())
        {
            try
            {
                return File.ReadAllText(path);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    /// <summary>Makes a new network namespace with its loopback up. Costs one unshare and one setns
    /// back on the calling thread; no thread is kept for it.</summary>
    public static NetNamespace Create()
    {
        // A refused unshare leaves the thread at home: nothing to go back from (and a daemon
        // without privilege could not: its setns home would fail too).
        Unshare();
        try
        {
            return InsideNew();
        }
        finally
        {
            ReturnHome();
        }
    }

    /// <summary>Makes a new namespace (lo up) and leaves the calling thread inside it: only for a
    /// thread that makes no sockets (<see cref="NamespacePool"/>'s maker).</summary>
    internal static NetNamespace CreateHere()
    {
        Unshare();
        return InsideNew();
    }

    private static void Unshare()
    {
        // Home is opened at its first use: that must be here, before the thread leaves it, or the
        // new namespace would become "home" (a daemon whose first namespace it makes itself).
        GC.KeepAlive(Home);
        if (unshare(CLONE_NEWNET) != 0)
            throw NetException.FromLastError("unshare(CLONE_NEWNET)");
    }

    private static NetNamespace InsideNew()
    {
        int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            throw NetException.FromLastError("open /proc/thread-self/ns/net");
        try
        {
            Loopback.BringUp();
        }
        catch
        {
            close(fd);
            throw;
        }
        return new NetNamespace(fd, "created");
    }

    /// <summary>Runs the calling thread inside this namespace until the scope is disposed. After
    /// <see cref="Dispose"/> (the namespace was removed) it throws <see cref="NetException"/> ENOENT:
    /// a request in flight then fails with an errno, never an ObjectDisposedException.</summary>
    public Scope Enter()
    {
        if (IsDisposed)
            throw Removed();
        if (Proxy is not null)
            throw new NetException(Errno.EPERM, $"namespace {Origin} cannot be entered by this process; its proxy works there");
        if (IsHome)
            return default; // already there: no syscall, and works for an unprivileged daemon
        if (!TryAddRef())
            throw Removed();
        if (setns(_fd, CLONE_NEWNET) != 0)
        {
            var e = NetException.FromLastError("setns into the namespace");
            Release();
            throw e;
        }
        return new Scope(this);
    }

    private static NetException Removed() => new(Errno.ENOENT, "the namespace was removed");

    private bool TryAddRef()
    {
        int refs = Volatile.Read(ref _refs);
        while (refs > 0)
        {
            int seen = Interlocked.CompareExchange(ref _refs, refs + 1, refs);
            if (seen == refs)
                return true;
            refs = seen;
        }
        return false;
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0)
            close(_fd);
    }

    /// <summary>Whether the calling process's user namespace owns its network namespace: only then
    /// can a thread that made or entered another come back (setns wants CAP_SYS_ADMIN over the
    /// owner). Not so for root of a user namespace made without a network namespace (`unshare -Urm`).</summary>
    public static bool HomeIsOwned()
    {
        int owner = ioctl(Home._fd, NS_GET_USERNS, null);
        if (owner < 0)
            return false; // EPERM: owned by an ancestor of ours
        try
        {
            int mine = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
            if (mine < 0)
                return false;
            try
            {
                return InodeOf(owner) == InodeOf(mine);
            }
            finally
            {
                close(mine);
            }
        }
        finally
        {
            close(owner);
        }
    }

    /// <summary>Whether this is the daemon's own namespace (entering it is a no-op).</summary>
    public bool IsHome => Home is not null && Inode == Home.Inode;

    internal static void ReturnHome()
    {
        // A thread left in a foreign namespace would make its next socket there: never continue.
        if (setns(Home._fd, CLONE_NEWNET) != 0)
            Environment.FailFast("setns back to the daemon's namespace failed: " + Marshal.GetLastPInvokeError());
    }

    /// <summary>Returns the thread to the daemon's namespace on dispose, then lets go of the fd.</summary>
    public readonly struct Scope(NetNamespace? entered) : IDisposable
    {
        public void Dispose()
        {
            if (entered is null)
                return;
            ReturnHome();
            entered.Release();
        }
    }

    private static ulong InodeOf(int fd)
    {
        byte* st = stackalloc byte[StatSize];
        return fstat(fd, st) == 0 ? *(ulong*)(st + StatInoOffset) : 0;
    }

    /// <summary>Drops the owner's reference: the fd closes now, or when the last Enter scope ends.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Proxy?.Dispose();
            Release();
        }
    }
}
