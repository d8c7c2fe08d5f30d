using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using NetnsFs.Client;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Namespaces;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.FileSystem.Access;

/// <summary>Opens the namespace a caller names in `ln -s PATH DIR/NAME` (multi mode) as that caller
/// would see it, not as the root daemon does:
/// - the caller needs CAP_SYS_ADMIN (what setns(2) into an arbitrary namespace needs), not uid 0;
/// - PATH is resolved inside the caller's root (/proc/PID/root, held by an O_PATH fd while a pidfd
///   pins the caller) with openat2(RESOLVE_IN_ROOT): an absolute symlink in the caller's tree
///   (a chroot, a container's mount namespace) resolves there, never from the daemon's root;
/// - the kernel's own links are the one exception, and only where procfs has them: RESOLVE_IN_ROOT
///   refuses magic links (EXDEV), but /proc/PID/ns/net is one and is exactly what users attach. A
///   last component that is a link on procfs (checked with fstatfs on its directory, which no user
///   can put a symlink in) is followed by the kernel; every other symlink is read and resolved
///   again inside the root, at most <see cref="MaxLinks"/> times (ELOOP);
/// - nothing but an nsfs file is ever opened for reading (fstatfs of an O_PATH fd first): a FIFO, a
///   device or a socket answers EINVAL at once, with no open that could block or have effects;
/// - a relative PATH is refused (EINVAL): it would be relative to the link's directory, the mount.</summary>
internal static class AttachTarget
{
    public const int CapSysAdmin = 21;
    public const int MaxLinks = 40;

    /// <summary>The namespace at <paramref name="path"/> in the root of thread <paramref name="pid"/>;
    /// throws <see cref="NetException"/> with the errno to answer.</summary>
    public static NetNamespace Open(int pid, string path)
    {
        if (pid <= 0)
            throw new NetException(Errno.EPERM, "a caller whose pid the mount cannot see has no root to resolve in");
        if (!path.StartsWith('/'))
            throw new NetException(Errno.EINVAL, $"{path}: attach needs an absolute path");
        // Pin the caller first: if its pid is reused before we are done, the pidfd says so.
        int pidfd = PidfdOpen(pid, PIDFD_THREAD);
        if (pidfd < 0)
            pidfd = PidfdOpen(pid, 0);
        if (pidfd < 0)
            throw Failed("pidfd_open of the caller");
        try
        {
            int root = open($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (root < 0)
                throw Failed("open the caller's root");
            try
            {
                int found = Resolve(root, path);
                try
                {
                    if (PidfdSendSignal(pidfd, 0) != 0)
                        throw new NetException(Errno.ESRCH, "the caller exited while its path was resolved");
                    return Reopen(found, path);
                }
                finally
                {
                    close(found);
                }
            }
            finally
            {
                close(root);
            }
        }
        finally
        {
            close(pidfd);
        }
    }

    /// <summary>An O_PATH fd of the nsfs file <paramref name="path"/> names under <paramref name="root"/>.</summary>
    private static int Resolve(int root, string path)
    {
        string current = path;
        for (int links = 0; links <= MaxLinks; links++)
        {
            int fd = OpenInRoot(root, current, O_PATH | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0)
                throw Failed($"{current} in the caller's root");
            try
            {
                int e = FileStatus.OfFd(fd, out var st);
                if (e != 0)
                    throw Failed($"stat {current}", e);
                if (st.Type != S_IFLNK)
                {
                    RequireNsfs(fd, path);
                    int found = fd;
                    fd = -1; // the caller's now
                    return found;
                }
                int followed = FollowOnProc(root, current);
                if (followed >= 0)
                {
                    try
                    {
                        RequireNsfs(followed, path);
                    }
                    catch
                    {
                        close(followed);
                        throw;
                    }
                    return followed;
                }
                string next = ReadLink(fd, current);
                current = next.StartsWith('/') ? next : Parent(current) + "/" + next;
            }
            finally
            {
                if (fd >= 0)
                    close(fd);
            }
        }
        throw new NetException(Errno.ELOOP, $"{path}: more than {MaxLinks} symbolic links");
    }

    /// <summary>A link on procfs (/proc/PID/ns/net): followed by the kernel from its directory,
    /// itself resolved inside the root. Returns the followed O_PATH fd, or -1 if the link is not on
    /// procfs (an ordinary symlink, resolved by the caller of this inside the root).</summary>
    private static int FollowOnProc(int root, string current)
    {
        int dir = OpenInRoot(root, Parent(current), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
            throw Failed($"{Parent(current)} in the caller's root");
        try
        {
            if (FsType(dir) != PROC_SUPER_MAGIC)
                return -1;
            int followed = openat(dir, current.TrimEnd('/')[(current.TrimEnd('/').LastIndexOf('/') + 1)..], O_PATH | O_CLOEXEC);
            if (followed < 0)
                throw Failed(current);
            return followed;
        }
        finally
        {
            close(dir);
        }
    }

    private static void RequireNsfs(int fd, string path)
    {
        if (FsType(fd) != NSFS_MAGIC)
            throw new NetException(Errno.EINVAL, $"{path} is not a namespace");
    }

    /// <summary>Opens the nsfs file for reading (what setns and NS_GET_NSTYPE need) through the
    /// daemon's own /proc/thread-self/fd: the very inode resolved, nothing looked up again.</summary>
    private static NetNamespace Reopen(int opath, string origin)
    {
        int fd = open($"/proc/thread-self/fd/{opath.ToString(CultureInfo.InvariantCulture)}", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
            throw Failed($"open {origin}");
        return NetNamespace.Adopt(fd, origin); // checks it is a network namespace, closes it if not
    }

    private static string Parent(string path)
    {
        string trimmed = path.TrimEnd('/');
        int slash = trimmed.LastIndexOf('/');
        return slash <= 0 ? "/" : trimmed[..slash];
    }

    private static int OpenInRoot(int root, string path, int flags)
    {
        var how = new OpenHow { Flags = (ulong)flags, Resolve = RESOLVE_IN_ROOT };
        return OpenAt2(root, path, how);
    }

    private static string ReadLink(int fd, string path)
    {
        var buffer = new byte[4096];
        nint n = readlinkat(fd, "", buffer, buffer.Length);
        if (n < 0)
            throw Failed($"readlink {path}");
        if (n >= buffer.Length)
            throw new NetException(Errno.ENAMETOOLONG, $"{path}: link target too long");
        return Encoding.UTF8.GetString(buffer, 0, (int)n);
    }

    private static long FsType(int fd)
    {
        var buffer = new byte[StatFsSize]; // f_type first
        return fstatfs(fd, buffer) == 0 ? BitConverter.ToInt64(buffer, 0) : -1;
    }

    private static NetException Failed(string what) => Failed(what, Marshal.GetLastPInvokeError());

    private static NetException Failed(string what, int errno) =>
        new((Errno)errno, $"{what}: {Marshal.GetPInvokeErrorMessage(errno)}");
}
