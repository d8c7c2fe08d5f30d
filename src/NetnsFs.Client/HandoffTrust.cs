using System.Net.Sockets;
using System.Runtime.InteropServices;
using NetnsFs.Interop;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Client;

/// <summary>Who may answer a handoff request. <c>MOUNT/handoff</c> is a symlink into a run
/// directory; if anything but the daemon were listening there (a user who replaced the socket, a
/// stale path reused), a client that trusted the answer would take a socket from an attacker: one
/// that leads elsewhere, or a pipe it then writes secrets into. So every client checks, after
/// connecting and before sending anything, that the server's SO_PEERCRED uid is 0 or the uid that
/// owns the mount directory (stat of MOUNT, which the FUSE daemon reports: the mount's owner).
/// Anyone else fails with EPERM, "handoff socket is not served by the netnsfs daemon".
/// The same rule is in samples/python/netnsfs.py, samples/c/netnsfs.h, samples/perl/Netnsfs.pm.</summary>
public static class HandoffTrust
{
    public const string NotServedByDaemon = "handoff socket is not served by the netnsfs daemon";

    /// <summary>Throws <see cref="NetnsSocketException"/> (EPERM) unless <paramref name="conn"/>,
    /// connected to <paramref name="mountDir"/>'s handoff socket, is served by root or the mount's owner.</summary>
    public static void Verify(Socket conn, string mountDir)
    {
        Span<byte> cred = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        if (conn.GetRawSocketOption(SOL_SOCKET, SO_PEERCRED, cred) != cred.Length)
            throw new NetnsSocketException((int)Errno.EPERM, $"{mountDir}/handoff: {NotServedByDaemon} (no peer credentials)");
        uint uid = MemoryMarshal.Read<uint>(cred[4..]);
        if (uid == 0)
            return;
        int e = FileStatus.OfPath(mountDir, followLinks: true, out var mount);
        if (e != 0)
            throw new NetnsSocketException(e, $"{mountDir}: {Marshal.GetPInvokeErrorMessage(e)}");
        if (uid != mount.Uid)
            throw new NetnsSocketException((int)Errno.EPERM, $"{mountDir}/handoff: {NotServedByDaemon} (served by uid {uid}; the mount belongs to uid {mount.Uid})");
    }
}
