using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using NetnsFs.Client;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli;

/// <summary>Mount namespaces and the daemon. A process inside a mount namespace keeps it alive, so
/// a daemon that lived in the mounter's private mount namespace would keep its own mount from ever
/// being reaped. A root daemon is therefore always started in a fresh private copy (util-linux
/// `unshare --mount`, before the FUSE mount exists, so the copy does not hold it); it reaches back
/// into the mounter's namespace only to unmount on SIGTERM, through `nsenter` given that
/// namespace's fd, opened from a process still living there and checked to be that namespace.
/// (Which namespace is init's cannot always be read, inside containers, so the daemon does not
/// try to tell.)
/// The tools are run by absolute path, found once when the daemon starts: never looked up in the
/// PATH root was started with, where a directory another user can write would hand them root.</summary>
public static class MountNamespaces
{
    /// <summary>util-linux unshare, which starts the daemon in its own mount namespace.</summary>
    public const string Unshare = "/usr/bin/unshare";

    /// <summary>util-linux nsenter and umount where distributions put them; null if neither place
    /// has a root-owned executable that only root may change.</summary>
    internal static readonly string? Nsenter = Tool("nsenter");
    private static readonly string? Umount = Tool("umount");

    /// <summary>The environment the unmount runs with: no PATH of the daemon's starter (umount
    /// finds its helpers in fixed places; nothing else should be looked up).</summary>
    private const string SafePath = "/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The nsfs inode of <paramref name="pid"/>'s mount namespace ("self" for ours); 0 if unknown.</summary>
    public static ulong InodeOf(string pid)
    {
        try
        {
            string link = File.ResolveLinkTarget($"/proc/{pid}/ns/mnt", false)?.ToString() ?? "";
            int open = link.IndexOf('[', StringComparison.Ordinal);
            return open < 0 ? 0 : ulong.Parse(link[(open + 1)..^1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }

    /// <summary>Whether the daemon should leave our mount namespace: only root can make one.</summary>
    public static bool DaemonNeedsOwn() =>
        geteuid() == 0 && InodeOf("self") != 0 && File.Exists(Unshare);

    /// <summary>An fd (O_CLOEXEC) of mount namespace <paramref name="inode"/>, opened through a
    /// process living there, or -1 if none is left. The inode is checked on the opened fd, not on
    /// the pid: a pid reused since the scan can only give another namespace, which is refused.</summary>
    public static int OpenNamespace(ulong inode)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == Environment.ProcessId)
                continue;
            int fd = open($"/proc/{pid}/ns/mnt", O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                continue; // gone, or a kernel thread
            if (InodeOfFd(fd) == inode)
                return fd;
            close(fd);
        }
        return -1;
    }

    /// <summary>Lazily unmounts <paramref name="mountPoint"/> inside mount namespace <paramref name="inode"/>:
    /// `nsenter --mount=/proc/self/fd/N -- umount -l MOUNTPOINT`, N the namespace's fd inherited for
    /// that one start, and closed right after it (a held fd would keep the namespace, and the mount,
    /// alive: README, Reaping). False when no process is left there (then the namespace, and the
    /// mount, are gone or going). Throws <see cref="IOException"/> when the tools are missing, do not
    /// start, or fail.</summary>
    public static bool UnmountIn(ulong inode, string mountPoint)
    {
        if (Nsenter is null || Umount is null)
            throw new IOException("nsenter or umount not found in /usr/bin or /bin (util-linux): cannot unmount in the mounter's mount namespace");
        int fd = OpenNamespace(inode);
        if (fd < 0)
            return false;
        Process? p;
        try
        {
            var psi = new ProcessStartInfo(Nsenter, [$"--mount=/proc/self/fd/{fd}", "--", Umount, "-l", mountPoint]) { UseShellExecute = false };
            psi.Environment["PATH"] = SafePath;
            // Inheritable only for this start: the daemon starts no other process meanwhile.
            Native.SetInheritable(fd, true);
            p = Process.Start(psi);
        }
        finally
        {
            close(fd);
        }
        using (p)
        {
            if (p is null)
                throw new IOException($"{Nsenter} did not start");
            if (!p.WaitForExit(5000))
                throw new IOException($"{Nsenter} {Umount} -l {mountPoint} did not finish within 5 s");
            if (p.ExitCode != 0)
                throw new IOException($"{Nsenter} {Umount} -l {mountPoint} failed: exit code {p.ExitCode}");
        }
        return true;
    }

    private static string? Tool(string name) =>
        new[] { "/usr/bin/" + name, "/bin/" + name }.FirstOrDefault(IsRootsExecutable);

    /// <summary>A regular executable owned by root that no one else may write.</summary>
    private static bool IsRootsExecutable(string path)
    {
        if (FileStatus.OfPath(path, followLinks: true, out var st) != 0)
            return false;
        return st.Uid == 0 && st.Type == S_IFREG && (st.Permissions & (S_IWGRP | S_IWOTH)) == 0 && (st.Permissions & S_IXUSR) != 0;
    }

    /// <summary>st_ino of an fd; 0 if unknown.</summary>
    private static ulong InodeOfFd(int fd) => FileStatus.OfFd(fd, out var st) == 0 ? st.Inode : 0;

    /// <summary>In the daemon's own copy of the mount namespace: lazily unmounts the copies of every
    /// FUSE mount (other netnsfs mounts among them). A copy keeps its filesystem alive, so a daemon
    /// holding one would keep another mount's daemon from ever seeing its umount.</summary>
    public static void DetachFuseCopies(Serilog.ILogger log)
    {
        // The daemon's first step in its own copy: the tools its SIGTERM unmount will need, found now.
        if (Nsenter is null || Umount is null)
            log.Warning("nsenter or umount (util-linux) not found in /usr/bin or /bin: SIGTERM cannot unmount in the mounter's mount namespace, only stop the daemon");
        else
            log.Debug("SIGTERM unmounts through {Nsenter} and {Umount}", Nsenter, Umount);
        foreach (var line in File.ReadAllLines("/proc/self/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 3 || !fields[2].StartsWith("fuse", StringComparison.Ordinal) || fields[2] == "fusectl")
                continue;
            string target = fields[1].Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
                .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
            if (umount2(target, MNT_DETACH) != 0)
                log.Debug("detaching the copy of {Target}: errno {Errno}", target, Marshal.GetLastPInvokeError());
        }
    }
}
