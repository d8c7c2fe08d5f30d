using static NetnsFs.Interop.Libc;

namespace NetnsFs.Net.Identity;

/// <summary>Runs the calling thread as a caller for the length of a scope: its uid and gid as
/// effective (and so filesystem) ids, its supplementary groups, and of the daemon's capabilities
/// only the network ones the caller holds itself. The kernel then checks the caller, not root,
/// wherever it checks: raw and packet sockets, ports below ip_unprivileged_port_start, ping
/// sockets (net.ipv4.ping_group_range), the owner and groups of the socket's file (iptables
/// owner match, nft meta skuid/skgid), the SO_PEERCRED a unix peer sees (taken at connect and at
/// listen), and %pK pointers in /proc/net (kptr_restrict).
/// <para>Only the calling thread changes: the raw system calls (glibc's wrappers would change
/// every thread). The real and saved uids stay 0, so the daemon keeps its permitted capabilities
/// and takes root back at the end of the scope; a thread that cannot is never let go on
/// (FailFast), as a thread left in a foreign namespace is not.</para>
/// <para>A daemon that is not root cannot switch: its scopes change nothing and the daemon's own
/// checks are the only line.</para></summary>
public static unsafe class ThreadCredentials
{
    /// <summary>The network capabilities a caller may lend the daemon's thread for a call.</summary>
    public const ulong NetworkCapabilities =
        (1UL << Caller.CapNetBindService) | (1UL << Caller.CapNetBroadcast) | (1UL << Caller.CapNetAdmin) | (1UL << Caller.CapNetRaw);

    /// <summary>CAP_SYSLOG: kernel pointers in /proc/net tables (kptr_restrict=1).</summary>
    public const ulong SyslogCapability = 1UL << 34;

    private static readonly CapData[] Original = ReadOwn();
    private static readonly uint[] OriginalGroups = ReadGroups();

    public static uint DaemonUid { get; } = geteuid();

    public static uint DaemonGid { get; } = getegid();

    /// <summary>Whether scopes switch at all: the daemon is root with CAP_SETUID and CAP_SETGID.</summary>
    public static bool CanSwitch { get; } = DaemonUid == 0 && (Original[0].Permitted & 0xC0) == 0xC0;

    /// <summary>Whether a scope for <paramref name="caller"/> makes the kernel check the caller: the
    /// daemon can switch, or the caller is the daemon's own user (files looked up in a scope are
    /// looked up with the caller's rights only then).</summary>
    public static bool CanActAs(Caller caller) => CanSwitch || caller.IsDaemon || caller.Uid == DaemonUid;

    /// <summary>Takes on <paramref name="caller"/> until the scope is disposed; <paramref name="extra"/>
    /// adds capabilities the call may use beyond the network ones, if the caller holds them.
    /// Throws NetException (EPERM) if the kernel refuses the switch (then nothing changed).</summary>
    public static Scope Assume(Caller caller, ulong extra = 0)
    {
        if (!CanSwitch || caller.IsDaemon)
            return default;
        ulong usable = NetworkCapabilities | extra;
        ulong lent = caller.Capabilities & usable;
        if (caller.Uid == DaemonUid && caller.Gid == DaemonGid && caller.Groups.SequenceEqual(OriginalGroups) && lent == usable)
            return default; // root holding every capability the call may use: the daemon as it is
        int count = Math.Min(caller.Groups.Count, 65536); // NGROUPS_MAX
        Span<uint> groups = count <= 256 ? stackalloc uint[count] : new uint[count];
        for (int i = 0; i < groups.Length; i++)
            groups[i] = caller.Groups[i];
        // Groups and gid first, while this thread still has CAP_SETGID; the uid last: leaving
        // uid 0 clears the effective capabilities (the permitted ones stay: real and saved uid are 0).
        if (SetGroups(groups) != 0 || SetResGid(uint.MaxValue, caller.Gid, uint.MaxValue) != 0 ||
            SetResUid(uint.MaxValue, caller.Uid, uint.MaxValue) != 0 || SetEffective(lent) != 0)
        {
            var e = NetException.FromLastError($"taking on the credentials of {caller}");
            Restore();
            throw e;
        }
        return new Scope(true);
    }

    private static int SetEffective(ulong effective)
    {
        var header = new CapHeader { Version = _LINUX_CAPABILITY_VERSION_3 };
        var data = stackalloc CapData[2];
        for (int i = 0; i < 2; i++)
        {
            data[i] = Original[i];
            data[i].Effective = (uint)(effective >> (32 * i)) & Original[i].Permitted;
        }
        return CapSet(&header, data);
    }

    private static void Restore()
    {
        var header = new CapHeader { Version = _LINUX_CAPABILITY_VERSION_3 };
        var data = stackalloc CapData[2];
        data[0] = Original[0];
        data[1] = Original[1];
        // uid 0 first (always allowed: the real and saved uids are 0), then every capability
        // (a caller of uid 0 had its effective set cut, which uid 0 alone does not bring back),
        // then the gid and groups, with CAP_SETGID back.
        if (SetResUid(uint.MaxValue, DaemonUid, uint.MaxValue) != 0 || CapSet(&header, data) != 0 ||
            SetResGid(uint.MaxValue, DaemonGid, uint.MaxValue) != 0 || SetGroups(OriginalGroups) != 0)
        {
            Environment.FailFast("cannot take back the daemon's credentials: errno " + System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        }
    }

    private static CapData[] ReadOwn()
    {
        var header = new CapHeader { Version = _LINUX_CAPABILITY_VERSION_3 };
        var data = new CapData[2];
        fixed (CapData* d = data)
        {
            if (CapGet(&header, d) != 0)
                return new CapData[2];
        }
        return data;
    }

    private static uint[] ReadGroups()
    {
        int n = getgroups(0, null);
        if (n <= 0)
            return [];
        var groups = new uint[n];
        fixed (uint* g = groups)
            n = getgroups(n, g);
        return n < 0 ? [] : groups[..n];
    }

    /// <summary>Gives the thread back its own credentials on dispose.</summary>
    public readonly struct Scope(bool switched) : IDisposable
    {
        public void Dispose()
        {
            if (switched)
                Restore();
        }
    }
}
