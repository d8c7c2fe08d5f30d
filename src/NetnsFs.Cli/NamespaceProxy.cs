using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using NetnsFs.Client;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Namespaces;
using NetnsFs.Net.Sockets;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli;

/// <summary>A namespace of a user namespace the mounter owns, for a daemon without root: a child
/// of netnsfs (<see cref="Flag"/>) is started by util-linux `nsenter --user --net
/// --preserve-credentials` inside that user namespace and that network namespace (nsenter, a
/// single-threaded C program, can join what .NET cannot), and answers the daemon over a
/// SOCK_SEQPACKET pair: a socket made there (its fd passed back), or a /proc/sys/net or
/// /proc/thread-self/net file read there. It dies with the daemon (parent-death signal, and EOF).
/// The daemon itself stays in its own user namespace, so every uid it sees (FUSE, SO_PEERCRED,
/// /proc) is the machine's.</summary>
public sealed unsafe class NamespaceProxy : INamespaceProxy
{
    public const string Flag = "--netns-proxy";

    private const byte MakeSocket = (byte)'s', ReadFile = (byte)'r';

    /// <summary>What one read may return: a /proc/net table of this many bytes is cut there.</summary>
    private const int MaxReply = 256 * 1024;

    private readonly Lock _lock = new();
    private readonly int _fd;
    private readonly Process _child;

    private NamespaceProxy(int fd, Process child)
    {
        _fd = fd;
        _child = child;
    }

    /// <summary>The owner of <paramref name="ns"/>'s user namespace if that is a child of this
    /// process's own (so that the owner, and a process that joins it, hold every capability there);
    /// null otherwise (the machine's, another user's, or one further down).</summary>
    public static uint? OwnerOfChild(NetNamespace ns)
    {
        int userNs = ioctl(ns.Fd, NS_GET_USERNS, null);
        if (userNs < 0)
            return null; // EPERM: owned by an ancestor of ours, the machine's
        try
        {
            int parent = ioctl(userNs, NS_GET_PARENT, null);
            if (parent < 0)
                return null;
            int mine = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
            try
            {
                if (mine < 0 || Inode(parent) != Inode(mine))
                    return null;
            }
            finally
            {
                close(parent);
                if (mine >= 0)
                    close(mine);
            }
            uint owner;
            return ioctl(userNs, NS_GET_OWNER_UID, &owner) == 0 ? owner : null;
        }
        finally
        {
            close(userNs);
        }
    }

    /// <summary>Starts the child inside <paramref name="ns"/>'s namespaces and returns the
    /// namespace served through it. Throws <see cref="NetException"/> when it cannot start.</summary>
    public static NetNamespace Serve(NetNamespace ns, uint owner)
    {
        string nsenter = MountNamespaces.Nsenter ?? throw new NetException(Errno.ENOENT, "nsenter not found in /usr/bin or /bin (util-linux): cannot serve a namespace of another user namespace");
        var (exe, prefix) = Launcher.SelfCommand();
        int userNs = ioctl(ns.Fd, NS_GET_USERNS, null);
        if (userNs < 0)
            throw Failed("NS_GET_USERNS");
        int* pair = stackalloc int[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
        {
            close(userNs);
            throw Failed("socketpair");
        }
        int nsFd = dup(ns.Fd); // without close-on-exec: nsenter's
        try
        {
            fcntl(userNs, F_SETFD, 0);
            fcntl(pair[1], F_SETFD, 0);
            var psi = new ProcessStartInfo(nsenter) { UseShellExecute = false };
            foreach (var a in (string[])[$"--user=/proc/self/fd/{I(userNs)}", $"--net=/proc/self/fd/{I(nsFd)}", "--preserve-credentials", "--", exe, .. prefix, Flag, I(pair[1])])
                psi.ArgumentList.Add(a);
            var child = Process.Start(psi) ?? throw new NetException(Errno.ENOENT, $"cannot start {nsenter}");
            var proxy = new NamespaceProxy(pair[0], child);
            int fd = dup(ns.Fd);
            if (fd < 0)
            {
                proxy.Dispose();
                throw Failed("dup");
            }
            fcntl(fd, F_SETFD, FD_CLOEXEC);
            var served = NetNamespace.AdoptThrough(fd, ns.Origin, proxy, owner);
            ns.Dispose();
            return served;
        }
        finally
        {
            close(userNs);
            close(nsFd);
            close(pair[1]);
        }
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static NetException Failed(string what)
    {
        int e = Marshal.GetLastPInvokeError();
        return new NetException((Errno)e, $"{what}: {Marshal.GetPInvokeErrorMessage(e)}");
    }

    public int Socket(SocketKind kind, out Errno errno)
    {
        Span<byte> request = stackalloc byte[13];
        request[0] = MakeSocket;
        BinaryPrimitives.WriteInt32LittleEndian(request[1..], kind.Family);
        BinaryPrimitives.WriteInt32LittleEndian(request[5..], kind.Type);
        BinaryPrimitives.WriteInt32LittleEndian(request[9..], kind.Protocol);
        Span<byte> reply = stackalloc byte[4];
        int fd = -1;
        lock (_lock)
        {
            if (FdPassing.Send(_fd, request, -1) < 0 || FdPassing.Receive(_fd, reply, out fd) != 4)
            {
                FdPassing.Close(fd);
                errno = Errno.EIO; // the process inside is gone
                return -1;
            }
        }
        errno = (Errno)BinaryPrimitives.ReadInt32LittleEndian(reply);
        if (errno == 0 && fd >= 0)
            return fd;
        FdPassing.Close(fd);
        errno = errno == 0 ? Errno.EPROTO : errno;
        return -1;
    }

    public string? Read(string path)
    {
        byte[] request = [ReadFile, .. Encoding.UTF8.GetBytes(path)];
        byte[] reply = new byte[MaxReply + 4];
        int n;
        lock (_lock)
        {
            if (FdPassing.Send(_fd, request, -1) < 0)
                return null;
            n = FdPassing.Receive(_fd, reply, out int fd);
            FdPassing.Close(fd);
        }
        return n >= 4 && BinaryPrimitives.ReadInt32LittleEndian(reply) == 0 ? Encoding.UTF8.GetString(reply, 4, n - 4) : null;
    }

    public void Dispose()
    {
        close(_fd); // EOF: the child exits
        if (!_child.WaitForExit(1000))
            _child.Kill();
        _child.Dispose();
    }

    /// <summary>The child: answers until EOF. args: the socket's fd.</summary>
    public static int Run(string[] args)
    {
        int fd = int.Parse(args[0], CultureInfo.InvariantCulture);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0);
        var buffer = new byte[4096];
        var reply = new byte[MaxReply + 4];
        while (true)
        {
            int n = FdPassing.Receive(fd, buffer, out int stray);
            FdPassing.Close(stray);
            if (n <= 0)
                return 0;
            if (buffer[0] == MakeSocket && n == 13)
            {
                int s = socket(BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(1)), BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(5)) | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(9)));
                BinaryPrimitives.WriteInt32LittleEndian(reply, s < 0 ? Marshal.GetLastPInvokeError() : 0);
                FdPassing.Send(fd, reply.AsSpan(0, 4), s);
                if (s >= 0)
                    close(s);
                continue;
            }
            string path = buffer[0] == ReadFile ? Encoding.UTF8.GetString(buffer, 1, n - 1) : "";
            int len = ReadAllowed(path, reply.AsSpan(4));
            BinaryPrimitives.WriteInt32LittleEndian(reply, len < 0 ? -len : 0);
            FdPassing.Send(fd, reply.AsSpan(0, len < 0 ? 4 : 4 + len), -1);
        }
    }

    /// <summary>Only what the daemon reads through a proxy: the namespace's sysctls and tables.</summary>
    private static int ReadAllowed(string path, Span<byte> into)
    {
        if (!(path.StartsWith("/proc/sys/net/", StringComparison.Ordinal) || path.StartsWith("/proc/thread-self/net/", StringComparison.Ordinal)) || path.Contains("/..", StringComparison.Ordinal))
            return -(int)Errno.EACCES;
        try
        {
            var bytes = Encoding.UTF8.GetBytes(File.ReadAllText(path));
            int len = Math.Min(bytes.Length, into.Length);
            bytes.AsSpan(0, len).CopyTo(into);
            return len;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -(int)Errno.ENOENT;
        }
    }

    private static ulong Inode(int fd)
    {
        return FileStatus.OfFd(fd, out var st) == 0 ? st.Inode : 0;
    }
}
