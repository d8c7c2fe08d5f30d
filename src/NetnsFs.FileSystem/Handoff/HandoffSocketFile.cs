using System.Globalization;
using System.Runtime.InteropServices;
using NetnsFs.Client;

namespace NetnsFs.FileSystem.Handoff;

/// <summary>Gives a just-bound handoff socket file its owner and mode without following a path:
/// chmod and chown by path follow symlinks, so a socket swapped for a symlink to /etc/shadow in
/// between would have root hand that file to the mount's group. The run directory is the daemon's
/// own and writable by no one else (Cli/RunDirectory), so only root could swap the entry; on top of
/// that the file is opened with O_PATH|O_NOFOLLOW, checked to be a socket owned by the daemon's euid
/// (bind made it so), and changed through that fd: fchownat(fd, "", AT_EMPTY_PATH), and chmod of
/// /proc/self/fd/N, which names the opened inode itself (O_PATH fds refuse fchmod).</summary>
internal static partial class HandoffSocketFile
{
    public static void SetOwnerAndMode(string path, uint uid, uint gid, uint mode)
    {
        int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            throw new IOException($"{path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        try
        {
            uint euid = geteuid();
            int e = FileStatus.OfFd(fd, out var st);
            if (e != 0)
                throw new IOException($"{path}: {Marshal.GetPInvokeErrorMessage(e)}");
            if (st.Type != FileStatus.Socket || st.Uid != euid)
                throw new IOException($"{path} is not the socket the daemon bound ({st}): not giving it an owner or mode");
            if (chmod($"/proc/self/fd/{fd.ToString(CultureInfo.InvariantCulture)}", mode) != 0)
                throw new IOException($"{path}: chmod: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            // Only root may give a file away; a non-root daemon's socket stays its own (as the mount does).
            if (euid == 0 && fchownat(fd, "", uid, gid, FileStatus.AtEmptyPath) != 0)
                throw new IOException($"{path}: chown: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        finally
        {
            close(fd);
        }
    }

    private const int O_PATH = 0x200000;
    private const int O_NOFOLLOW = 0x20000;
    private const int O_CLOEXEC = 0x80000;

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chmod(string path, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int fchownat(int dirfd, string path, uint owner, uint group, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
