using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using NetnsFs.Client;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Identity;
using NetnsFs.Net.Sockets;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.FileSystem.Control;

/// <summary>A unix socket named by path for "connect PATH", found as the writer of ctl would find
/// it and never as the root daemon does: PATH is resolved inside the writer's root and mount
/// namespace (/proc/TID/root, pinned by a pidfd, as Access/AttachTarget resolves a namespace),
/// with openat2(RESOLVE_IN_ROOT) under the writer's credentials, so that an absolute symlink
/// stays in its root (a chroot, a container) and every directory is searched with its rights.
/// RESOLVE_IN_ROOT also refuses magic links (EXDEV), so /proc/self/fd/N names no fd of the
/// daemon's. The result is an O_PATH fd of the socket inode; connect(2) then reaches it through
/// /proc/thread-self/fd/N, again as the writer (the kernel checks write permission on the socket
/// file then). Nothing is created: a path is only ever connected to, never bound.</summary>
internal static class UnixSocketPath
{
    /// <summary>An O_PATH fd of the socket at <paramref name="path"/> in the root of thread
    /// <paramref name="tid"/>, looked up as <paramref name="caller"/>; the caller closes it. Throws
    /// <see cref="NetException"/>: ENOENT, EACCES, ELOOP as the lookup says, ECONNREFUSED for a
    /// file that is no socket (as connect(2) answers), EPERM for a caller the mount cannot see.</summary>
    public static int Open(int tid, string path, Caller caller)
    {
        if (tid <= 0)
            throw new NetException(Errno.EPERM, "a caller whose pid the mount cannot see has no root to resolve in");
        // A daemon that cannot take on the caller's credentials would look the path up, and
        // connect, with its own: another user let in by allow_other would reach the daemon's
        // user's sockets (its agent, its session bus).
        if (!ThreadCredentials.CanActAs(caller))
            throw new NetException(Errno.EACCES, $"{path}: this daemon cannot look up files as {caller} (it is not root; only its own user may connect to unix socket paths)");
        int pidfd = PidfdOpen(tid, PIDFD_THREAD);
        if (pidfd < 0)
            pidfd = PidfdOpen(tid, 0);
        if (pidfd < 0)
            throw Failed("pidfd_open of the caller", Marshal.GetLastPInvokeError());
        try
        {
            int root = open($"/proc/{tid.ToString(CultureInfo.InvariantCulture)}/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
            // A rootless daemon cannot open the root of a process outside its user namespace (the
            // kernel's ptrace check): EACCES, never the daemon's own root instead, which would let
            // the owner's chrooted or sandboxed processes reach the sockets outside their root.
            if (root < 0)
                throw Failed("open the caller's root", Marshal.GetLastPInvokeError());
            try
            {
                int fd = OpenAsCaller(root, path, caller);
                bool gone = PidfdSendSignal(pidfd, 0) != 0; // its tid may be another's now: its root was not the caller's
                if (gone || FileStatus.OfFd(fd, out var st) != 0 || st.Type != S_IFSOCK)
                {
                    _ = close(fd);
                    throw gone ? new NetException(Errno.ESRCH, "the caller exited while its path was resolved")
                        : new NetException(Errno.ECONNREFUSED, $"{path} is no socket");
                }
                return fd;
            }
            finally
            {
                _ = close(root);
            }
        }
        finally
        {
            _ = close(pidfd);
        }
    }

    private static int OpenAsCaller(int root, string path, Caller caller)
    {
        int fd, errno;
        var how = new OpenHow { Flags = (ulong)(O_PATH | O_CLOEXEC), Resolve = RESOLVE_IN_ROOT };
        // The errno is taken inside: leaving the scope makes system calls of its own.
        using (ThreadCredentials.Assume(caller))
        {
            fd = OpenAt2(root, path, how);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        return fd >= 0 ? fd : throw Failed(path, errno);
    }

    /// <summary>The address connect(2) reaches the socket behind <paramref name="opath"/> by, from
    /// the calling thread: /proc/thread-self/fd/N (the very inode resolved, looked up no more).</summary>
    public static SockAddr Through(int opath)
    {
        var sa = new SockAddr();
        var b = sa.Bytes;
        BinaryPrimitives.WriteUInt16LittleEndian(b, SocketKind.AF_UNIX);
        int n = Encoding.UTF8.GetBytes("/proc/thread-self/fd/" + opath.ToString(CultureInfo.InvariantCulture), b[2..^1]);
        sa.Length = 2 + n + 1;
        return sa;
    }

    private static NetException Failed(string what, int errno) =>
        new((Errno)errno, $"{what}: {Marshal.GetPInvokeErrorMessage(errno)}");
}
