namespace NetnsFs.Net.Identity;

/// <summary>Who a socket is made for: the one identity every front end (a FUSE request, a handoff
/// connection) hands to the place the socket is made, where the daemon's thread takes it on for
/// the call (<see cref="ThreadCredentials"/>), so that the kernel checks the caller, not root.
/// <para><see cref="Groups"/> and <see cref="Capabilities"/> are what the caller held when it
/// asked (and, over the handoff, also when it connected). What cannot be known is not granted:
/// a caller whose process cannot be read (pid 0: outside the mount's pid namespace; gone; a pid
/// reused under another user) has no capability and no supplementary group.</para></summary>
public sealed record Caller(int Pid, uint Uid, uint Gid)
{
    public const int CapNetBindService = 10;
    public const int CapNetBroadcast = 11;
    public const int CapNetAdmin = 12;
    public const int CapNetRaw = 13;
    public const int CapSysAdmin = 21;

    /// <summary>Supplementary groups (the primary <see cref="Gid"/> not included).</summary>
    public IReadOnlyList<uint> Groups { get; init; } = [];

    /// <summary>Effective capabilities over the daemon's user namespace, as a CapEff bit mask:
    /// none for a caller in another user namespace.</summary>
    public ulong Capabilities { get; init; }

    public bool Has(int capability) => (Capabilities & (1UL << capability)) != 0;

    /// <summary>The daemon itself, for the sockets it makes for its own work (name lookups, the
    /// handoff listener): no switch of credentials.</summary>
    public static Caller Daemon { get; } = new(Environment.ProcessId, ThreadCredentials.DaemonUid, ThreadCredentials.DaemonGid)
    {
        Capabilities = ulong.MaxValue,
    };

    public bool IsDaemon => ReferenceEquals(this, Daemon);

    /// <summary>The caller of a FUSE request: the kernel names the calling thread and its fsuid and
    /// fsgid; groups and capabilities are read from that thread now (<see cref="ProcessCredentials"/>).</summary>
    public static Caller OfThread(int tid, uint uid, uint gid) =>
        ProcessCredentials.Read(tid, uid, gid) is { } read
            ? new Caller(tid, uid, gid) { Groups = read.Groups, Capabilities = read.Capabilities }
            : new Caller(tid, uid, gid);

    public override string ToString() => $"pid {Pid} uid {Uid} gid {Gid}";
}
