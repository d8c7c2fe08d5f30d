using System.Runtime.InteropServices;
using NetnsFs.Fuse.Mounting;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli;

/// <summary>PINDIR of -o watch, opened in the mounter's mount namespace (the daemon's own copy
/// would not see pins bind-mounted after it started; an fd opened here resolves names through the
/// mounter's mounts). Made, as `ip netns add` makes /run/netns, if missing; and made a shared
/// mount point of itself, as ip does at its first pin: opened before that, the fd would hold the
/// directory underneath, and pins mounted in the new mount would not be seen through it.</summary>
public static class PinDirectory
{
    public static int Open(string path)
    {
        if (!FuseMounter.IsPrivileged)
            throw new UsageException("option 'watch' needs root: the pinned namespaces are root's");
        Directory.CreateDirectory(path);
        if (!IsMountPoint(path))
        {
            if (mount(path, path, "none", MS_BIND | MS_REC, "") != 0)
                throw new IOException($"watch={path}: bind mount onto itself: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        mount("", path, "none", MS_SHARED | MS_REC, ""); // as ip does: its later pins propagate
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            throw new IOException($"watch={path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return fd;
    }

    /// <summary>Whether a mount has <paramref name="path"/> as its mount point (mountinfo's fifth field).</summary>
    private static bool IsMountPoint(string path)
    {
        string want = Path.GetFullPath(path).TrimEnd('/');
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var f = line.Split(' ');
            if (f.Length > 4 && Runner.NetnsfsMounts.Unescape(f[4]) == want)
                return true;
        }
        return false;
    }

}
