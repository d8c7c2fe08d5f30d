using System.Globalization;
using System.Runtime.InteropServices;
using NetnsFs.Client;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.FileSystem.Handoff;

/// <summary>Gives a just-bound handoff socket file its owner and mode without following a path:
/// chmod and chown by path follow symlinks, so a socket swapped for a symlink to /etc/shadow in
/// between would have root hand that file to the mount's group. The run directory is the daemon's
/// own and writable by no one else (Cli/RunDirectory), so only root could swap the entry; on top of
/// that the file is opened with O_PATH|O_NOFOLLOW, checked to be a socket owned by the daemon's euid
/// (bind made it so), and changed through that fd: fchownat(fd, "", AT_EMPTY_PATH), and chmod of
/// /proc/self/fd/N, which names the opened inode itself (O_PATH fds refuse fchmod). Where the kernel
/// has unix sock_diag, the file must moreover be the very inode our socket is bound to
/// (UNIX_DIAG_VFS), not merely some socket of ours.</summary>
internal static class HandoffSocketFile
{
    public static void SetOwnerAndMode(int socketFd, string path, uint uid, uint gid, uint mode)
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
            if (st.Type != FileStatus.Socket || st.Uid != euid ||
                (BoundFile(socketFd) is { } bound && bound != ((uint)st.Inode, (st.DevMajor << 20) | st.DevMinor)))
            {
                throw new IOException($"{path} is not the socket the daemon bound ({st}): not giving it an owner or mode");
            }

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

    /// <summary>The (inode, kernel dev_t) of the file <paramref name="socketFd"/> is bound to, from
    /// NETLINK_SOCK_DIAG (UNIX_DIAG_VFS; the inode as its low 32 bits, as the kernel reports it);
    /// null where the kernel cannot say (no unix_diag).</summary>
    private static unsafe (uint Inode, uint Dev)? BoundFile(int socketFd)
    {
        if (FileStatus.OfFd(socketFd, out var sock) != 0)
            return null;
        int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (nl < 0)
            return null;
        try
        {
            // struct nlmsghdr (16) + struct unix_diag_req (24): this one socket, by its sockfs inode.
            byte* req = stackalloc byte[40];
            new Span<byte>(req, 40).Clear();
            *(uint*)req = 40;
            *(ushort*)(req + 4) = SOCK_DIAG_BY_FAMILY;
            *(ushort*)(req + 6) = NLM_F_REQUEST;
            req[16] = AF_UNIX;
            *(uint*)(req + 20) = uint.MaxValue;     // udiag_states: any
            *(uint*)(req + 24) = (uint)sock.Inode;  // udiag_ino
            *(uint*)(req + 28) = UDIAG_SHOW_VFS;
            *(uint*)(req + 32) = uint.MaxValue;     // udiag_cookie: none
            *(uint*)(req + 36) = uint.MaxValue;
            if (send(nl, req, 40, 0) != 40)
                return null;
            byte* buf = stackalloc byte[512];
            nint n = recv(nl, buf, 512, 0);
            // nlmsghdr, then struct unix_diag_msg (16), then attributes (struct rtattr: len, type).
            if (n < 32 || *(ushort*)(buf + 4) != SOCK_DIAG_BY_FAMILY)
                return null;
            for (nint off = 32; off + 4 <= n;)
            {
                ushort len = *(ushort*)(buf + off), type = *(ushort*)(buf + off + 2);
                if (len < 4 || off + len > n)
                    break;
                if (type == UNIX_DIAG_VFS && len >= 12)
                    return (*(uint*)(buf + off + 4), *(uint*)(buf + off + 8));
                off += (len + 3) & ~3;
            }
            return null;
        }
        finally
        {
            close(nl);
        }
    }
}
