using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace NetnsFs.Cli;

/// <summary>Mount namespaces and the daemon. A process inside a mount namespace keeps it alive, so
/// a daemon that lived in the mounter's private mount namespace would keep its own mount from ever
/// being reaped. A root daemon is therefore always started in a fresh private copy (util-linux
/// `unshare --mount`, before the FUSE mount exists, so the copy does not hold it); it reaches back
/// into the mounter's namespace only to unmount on SIGTERM, through `nsenter` on any process
/// still living there. (Which namespace is init's cannot always be read, inside containers, so
/// the daemon does not try to tell.)</summary>
public static partial class MountNamespaces
{
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
        Mono.Unix.Native.Syscall.geteuid() == 0 && InodeOf("self") != 0 && File.Exists("/usr/bin/unshare");

    /// <summary>A process living in mount namespace <paramref name="inode"/>, or null if none is left.</summary>
    public static int? FindProcessIn(ulong inode)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == Environment.ProcessId)
                continue;
            if (InodeOf(pid.ToString(CultureInfo.InvariantCulture)) == inode)
                return pid;
        }
        return null;
    }

    /// <summary>Lazily unmounts <paramref name="mountPoint"/> inside mount namespace <paramref name="inode"/>.
    /// False when no process is left there (then the namespace, and the mount, are gone or going).</summary>
    public static bool UnmountIn(ulong inode, string mountPoint)
    {
        var pid = FindProcessIn(inode);
        if (pid is null)
            return false;
        var psi = new ProcessStartInfo("nsenter", [$"--mount=/proc/{pid}/ns/mnt", "--", "umount", "-l", mountPoint]) { UseShellExecute = false };
        using var p = Process.Start(psi);
        p?.WaitForExit(5000);
        return p is { HasExited: true, ExitCode: 0 };
    }

    /// <summary>In the daemon's own copy of the mount namespace: lazily unmounts the copies of every
    /// FUSE mount (other netnsfs mounts among them). A copy keeps its filesystem alive, so a daemon
    /// holding one would keep another mount's daemon from ever seeing its umount.</summary>
    public static void DetachFuseCopies(Serilog.ILogger log)
    {
        foreach (var line in File.ReadAllLines("/proc/self/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 3 || !fields[2].StartsWith("fuse", StringComparison.Ordinal) || fields[2] == "fusectl")
                continue;
            string target = fields[1].Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
                .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
            if (umount2(target, 2 /* MNT_DETACH */) != 0)
                log.Debug("detaching the copy of {Target}: errno {Errno}", target, Marshal.GetLastPInvokeError());
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int umount2(string target, int flags);
}
