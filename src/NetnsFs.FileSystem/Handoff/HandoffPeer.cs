using NetnsFs.Net.Identity;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Handoff;

/// <summary>The process at the other end of a handoff connection. Its uid, gid and groups are the
/// kernel's record of the connect (SO_PEERCRED, SO_PEERGROUPS); the process is pinned by a pidfd
/// from the kernel (SO_PEERPIDFD, Linux 6.5; before, one opened at accept). Each request is made
/// for what the peer holds both then and now: capabilities read at accept and again at the
/// request, intersected, so a peer that execs a setuid or file-capabilities program after
/// connecting (and a process the connection was passed to) lends the daemon nothing new.
/// <para>Only a peer that connected as root keeps capabilities: a non-root process could exec a
/// file-capabilities program between its connect and the daemon's accept, and nothing the kernel
/// offers tells which program connected. Such a program opens the socket file instead, where
/// FUSE names the calling thread during its call. (The owner of a rootless daemon's user namespace
/// holds its capabilities there by its uid, which no exec of its own gives it.)</para></summary>
internal sealed class HandoffPeer : IDisposable
{
    private int _pidfd;

    private HandoffPeer(Caller atConnect, int pidfd)
    {
        AtConnect = atConnect;
        _pidfd = pidfd;
    }

    /// <summary>Who connected, with what it held at accept.</summary>
    public Caller AtConnect { get; }

    public static HandoffPeer Of(NetSocket connection)
    {
        var (pid, uid, gid) = connection.PeerCredentials();
        int pidfd = connection.PeerPidfd();
        if (pidfd < 0)
            pidfd = ProcessCredentials.Pin(pid);
        var groups = connection.PeerGroups();
        ulong capabilities = 0;
        if ((uid == 0 || ProcessCredentials.OwnsDaemonNamespaces(uid)) && pidfd >= 0 && ProcessCredentials.ReadPinned(pidfd, pid, 0, uid, gid) is { } held)
            capabilities = held.Capabilities;
        var caller = new Caller(pid, uid, gid) { Groups = groups ?? [], Capabilities = capabilities };
        return new HandoffPeer(caller, pidfd);
    }

    /// <summary>The peer as it may act now: what it held at accept and still holds.</summary>
    public Caller Now()
    {
        if (AtConnect.Capabilities == 0)
            return AtConnect;
        int pidfd = Volatile.Read(ref _pidfd);
        ulong now = pidfd >= 0 && ProcessCredentials.ReadPinned(pidfd, AtConnect.Pid, 0, AtConnect.Uid, AtConnect.Gid) is { } held ? held.Capabilities : 0;
        return AtConnect with { Capabilities = AtConnect.Capabilities & now };
    }

    /// <summary>Closes the pidfd (under the connection's lock, as <see cref="Now"/> runs).</summary>
    public void Dispose()
    {
        int pidfd = Interlocked.Exchange(ref _pidfd, -1);
        if (pidfd >= 0)
            ProcessCredentials.Unpin(pidfd);
    }
}
