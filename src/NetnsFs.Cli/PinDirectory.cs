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
        CheckTrusted(path);
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

    /// <summary>Root follows PINDIR's path, bind-mounts it and opens what appears in it: every
    /// component must be a directory of root's, no symbolic link, that no one else may change
    /// (a sticky one, like /tmp, may lead to it); PINDIR itself writable by root alone, so that
    /// nobody else can put anything there for root to open. Throws <see cref="UsageException"/>.</summary>
    private static void CheckTrusted(string path)
    {
        string full = Path.GetFullPath(path).TrimEnd('/');
        var parts = full.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string prefix = "";
        for (int i = 0; i < parts.Length; i++)
        {
            prefix += "/" + parts[i];
            bool last = i == parts.Length - 1;
            if (Client.FileStatus.OfPath(prefix, followLinks: false, out var st) != 0 || (st.Mode & Client.FileStatus.TypeMask) != Client.FileStatus.Directory)
                throw new UsageException($"watch={path}: {prefix} is not a directory (a symbolic link is refused: root follows this path)");
            bool othersWrite = (st.Mode & 0x12) != 0; // group or other write
            bool sticky = (st.Mode & 0x200) != 0;
            if (st.Uid != 0 || (othersWrite && (last || !sticky)))
                throw new UsageException($"watch={path}: {prefix} may be changed by a user other than root (owner {st.Uid}, mode {Convert.ToString(st.Mode & 0xFFF, 8)}): root would follow it and open what is put there");
        }
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
