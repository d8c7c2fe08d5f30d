using System.Globalization;
using System.Runtime.InteropServices;
using NetnsFs.Client;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.Interop;
using Serilog;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli;

/// <summary>The daemon's run directory, where its handoff sockets are bound: outside the mount (a
/// socket bound inside it would pin it), where every caller's mount namespace sees it.
/// <para>Root follows paths in here (bind, chmod, chown, unlink), so nothing in it or above it may be
/// writable by anyone but the daemon's euid: the directory is <c>PARENT/PID</c>, owned by the euid,
/// mode 0755 whatever the mount's <c>mode=</c>/<c>gid=</c> say (who may connect is the socket
/// file's mode and, finally, the daemon's SO_PEERCRED check). PARENT is <c>/run/netnsfs</c> for
/// root, else <c>$XDG_RUNTIME_DIR/netnsfs</c>, else <c>/tmp/netnsfs-UID</c>; it must be a real
/// directory (lstat) owned by the euid and not writable by group or others, or the daemon refuses to
/// start (in /tmp another user may have made it first). Everything after the parent's check is done
/// relative to directory fds opened with O_NOFOLLOW, and removal unlinks entry by entry with
/// unlinkat: no recursive delete by a path that a swapped subdirectory could redirect.</para></summary>
internal static class RunDirectory
{
    private const uint GroupOrOtherWrite = S_IWGRP | S_IWOTH;
    private const uint DirMode = ModeBits.DirectoryDefault;

    /// <summary>Where the run directories of a daemon with this identity and environment live.
    /// <paramref name="hostRoot"/>: root of the machine (the initial user namespace), whose is
    /// /run/netnsfs; root of a user namespace is the user it maps to (<paramref name="uid"/> is
    /// then that user's uid outside, which names its /tmp directory).</summary>
    public static string ParentFor(bool hostRoot, uint uid, string? xdgRuntimeDir) =>
        hostRoot ? "/run/netnsfs"
        : !string.IsNullOrEmpty(xdgRuntimeDir) ? Path.Combine(xdgRuntimeDir, "netnsfs")
        : $"/tmp/netnsfs-{uid.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Makes this daemon's run directory under the parent chosen for it (made if missing,
    /// checked either way), after removing those of dead daemons. Throws <see cref="IOException"/>
    /// with a message saying what is wrong when the parent cannot be trusted.</summary>
    public static string Create(ILogger log)
    {
        uint euid = geteuid();
        var (initial, outer) = UserMap.Outside(getuid());
        string parent = ParentFor(euid == 0 && initial, outer, Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR"));
        return CreateUnder(parent, euid, Environment.ProcessId, log);
    }

    /// <summary><see cref="Create"/> with the parent, owner and pid given (tests call it on a parent
    /// of their own).</summary>
    public static string CreateUnder(string parent, uint euid, int pid, ILogger log)
    {
        if (Path.GetDirectoryName(parent) is { } grand && grand != parent)
        {
            // XDG_RUNTIME_DIR itself is checked too; /run and /tmp are root's (and /tmp sticky).
            if (grand != "/run" && grand != "/tmp" && grand != "/")
            {
                int grandFd = OpenDirectory(FileStatus.AtFdCwd, grand, grand);
                try
                {
                    CheckTrusted(grand, euid, grandFd);
                }
                finally
                {
                    close(grandFd);
                }
            }
        }
        bool made = mkdir(parent, DirMode) == 0;
        if (!made && Marshal.GetLastPInvokeError() != (int)Errno.EEXIST)
            throw new IOException($"run directory {parent}: cannot create it: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        int parentFd = OpenDirectory(FileStatus.AtFdCwd, parent, parent);
        try
        {
            CheckTrusted(parent, euid, parentFd);
            // Made just now, its mode passed through the umask: others must be able to reach the sockets.
            if (made && fchmod(parentFd, DirMode) != 0)
                throw new IOException($"run directory {parent}: chmod: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            RemoveStale(parent, parentFd, euid, log);
            string name = pid.ToString(CultureInfo.InvariantCulture);
            string dir = Path.Combine(parent, name);
            // A directory of our own pid can only be a dead daemon's (pid reuse): it goes too.
            if (FileStatus.Get(parentFd, name, FileStatus.AtSymlinkNoFollow, out _) == 0)
                RemoveEntry(parentFd, parent, name, euid, log);
            if (mkdirat(parentFd, name, DirMode) != 0)
                throw new IOException($"run directory {dir}: cannot create it: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            int fd = OpenDirectory(parentFd, name, dir);
            try
            {
                // mkdir's mode passed through the umask: set it exactly, on the directory we made.
                if (fchmod(fd, DirMode) != 0)
                    throw new IOException($"run directory {dir}: chmod: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
                CheckTrusted(dir, euid, fd);
            }
            finally
            {
                close(fd);
            }
            return dir;
        }
        finally
        {
            close(parentFd);
        }
    }

    /// <summary>Removes this daemon's run directory (at its end), without following a symlink.</summary>
    public static void Remove(string dir, ILogger log)
    {
        string parent = Path.GetDirectoryName(dir)!;
        int parentFd = open(parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (parentFd < 0)
        {
            log.Warning("cannot remove {Dir}: {Parent}: {Message}", dir, parent, Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            return;
        }
        try
        {
            RemoveEntry(parentFd, parent, Path.GetFileName(dir), geteuid(), log);
        }
        finally
        {
            close(parentFd);
        }
    }

    /// <summary>Run directories of daemons that died without cleaning up (SIGKILL) go at the next start.</summary>
    private static void RemoveStale(string parent, int parentFd, uint euid, ILogger log)
    {
        foreach (string name in Names(parentFd))
        {
            if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && !Directory.Exists($"/proc/{pid}"))
                RemoveEntry(parentFd, parent, name, euid, log);
        }
    }

    /// <summary>Removes the run directory <paramref name="name"/> of <paramref name="parentFd"/>: only a
    /// real directory owned by <paramref name="euid"/>, its entries unlinked relative to its own fd
    /// (no recursion: a run directory holds sockets only; anything else is left and logged).</summary>
    private static void RemoveEntry(int parentFd, string parent, string name, uint euid, ILogger log)
    {
        string path = Path.Combine(parent, name);
        int fd = openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
        {
            log.Warning("run directory {Dir} not removed: {Message} (not a directory, or a symlink)", path, Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            return;
        }
        try
        {
            if (FileStatus.OfFd(fd, out var st) != 0 || st.Uid != euid)
            {
                log.Warning("run directory {Dir} not removed: not ours ({Status})", path, st);
                return;
            }
            foreach (string entry in Names(fd))
            {
                if (unlinkat(fd, entry, 0) != 0)
                    log.Warning("cannot remove {Path}: {Message}", Path.Combine(path, entry), Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            }
        }
        finally
        {
            close(fd);
        }
        if (unlinkat(parentFd, name, AT_REMOVEDIR) != 0)
            log.Warning("cannot remove {Dir}: {Message}", path, Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
    }

    /// <summary>The names in the directory open as <paramref name="dirFd"/> (listed through
    /// /proc/self/fd, which names that very directory, not a path that could be swapped).</summary>
    private static List<string> Names(int dirFd)
    {
        try
        {
            return [.. Directory.EnumerateFileSystemEntries($"/proc/self/fd/{dirFd.ToString(CultureInfo.InvariantCulture)}").Select(p => Path.GetFileName(p))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static int OpenDirectory(int dirFd, string name, string shownAs)
    {
        int fd = openat(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
        {
            int e = Marshal.GetLastPInvokeError();
            string why = (Errno)e is Errno.ELOOP or Errno.ENOTDIR ? "is not a directory (or is a symlink)" : Marshal.GetPInvokeErrorMessage(e);
            throw new IOException($"run directory {shownAs} {why}: refusing to put handoff sockets there");
        }
        return fd;
    }

    /// <summary>A directory root follows paths in must be the euid's and writable by nobody else.</summary>
    private static void CheckTrusted(string path, uint euid, int fd)
    {
        int e = FileStatus.OfFd(fd, out var st);
        if (e != 0)
            throw new IOException($"run directory {path}: {Marshal.GetPInvokeErrorMessage(e)}");
        if (st.Type != FileStatus.Directory || st.Uid != euid || (st.Permissions & GroupOrOtherWrite) != 0)
        {
            throw new IOException(
                $"run directory {path} is not a directory of uid {euid} writable only by it ({st}): another user may have made it; " +
                "refusing to put handoff sockets there (remove it, or set XDG_RUNTIME_DIR)");
        }
    }
}
