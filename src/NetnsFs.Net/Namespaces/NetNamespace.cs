using System.Runtime.InteropServices;
using Mono.Unix.Native;
using static NetnsFs.Net.Native.NetLibc;

namespace NetnsFs.Net.Namespaces;

/// <summary>A network namespace held by an open fd. Holding the fd keeps the namespace alive;
/// disposing it lets the kernel free the namespace once nothing else (a process, a mount, a socket)
/// holds it. Sockets are made inside it with <see cref="Enter"/>: setns on the calling thread only,
/// undone before the thread does anything else.</summary>
public sealed unsafe class NetNamespace : IDisposable
{
    private int _fd;

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

    public int Fd => _fd >= 0 ? _fd : throw new ObjectDisposedException(nameof(NetNamespace));

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

    /// <summary>Makes a new network namespace with its loopback up. Costs one unshare and one setns
    /// back on the calling thread; no thread is kept for it.</summary>
    public static NetNamespace Create()
    {
        try
        {
            return CreateHere();
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
        if (unshare(CLONE_NEWNET) != 0)
            throw NetException.FromLastError("unshare(CLONE_NEWNET)");
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

    /// <summary>Runs the calling thread inside this namespace until the scope is disposed.</summary>
    public Scope Enter()
    {
        if (IsHome)
            return default; // already there: no syscall, and works for an unprivileged daemon
        if (setns(Fd, CLONE_NEWNET) != 0)
            throw NetException.FromLastError("setns into the namespace");
        return new Scope(true);
    }

    /// <summary>Whether this is the daemon's own namespace (entering it is a no-op).</summary>
    public bool IsHome => Home is not null && Inode == Home.Inode;

    internal static void ReturnHome()
    {
        // A thread left in a foreign namespace would make its next socket there: never continue.
        if (setns(Home._fd, CLONE_NEWNET) != 0)
            Environment.FailFast("setns back to the daemon's namespace failed: " + Marshal.GetLastPInvokeError());
    }

    /// <summary>Returns the thread to the daemon's namespace on dispose.</summary>
    public readonly struct Scope(bool entered) : IDisposable
    {
        public void Dispose()
        {
            if (entered)
                ReturnHome();
        }
    }

    private static ulong InodeOf(int fd)
    {
        byte* st = stackalloc byte[144]; // struct stat on x86-64; st_ino at offset 8
        return fstat(fd, st) == 0 ? *(ulong*)(st + 8) : 0;
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            close(fd);
    }
}
