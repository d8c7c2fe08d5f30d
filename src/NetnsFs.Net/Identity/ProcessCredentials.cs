using System.Globalization;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Net.Identity;

/// <summary>Reads a caller's supplementary groups and effective capabilities from
/// /proc/TID/status, pinned by a pidfd so that a pid reused while it is read cannot lend
/// its rights: the process must still be alive after the read and must still be the user the
/// kernel named. A thread that does not lead its process is pinned by its own pidfd where the
/// kernel has PIDFD_THREAD (6.9), else by its process's (whose thread it must be).</summary>
public static class ProcessCredentials
{
    /// <summary>What was read.</summary>
    public readonly record struct Held(uint[] Groups, ulong Capabilities);

    private static readonly string OwnUserNs = UserNsOf("self");

    /// <summary>Whether the daemon runs in a user namespace made for it by its own user (rootless,
    /// that user mapped to itself): a process of that user outside holds, over the daemon's
    /// namespaces, every capability, as the kernel gives the owner of a user namespace.</summary>
    public static bool InOwnersUserNamespace { get; set; }

    private static readonly uint OwnerUid = geteuid();

    /// <summary>Whether <paramref name="uid"/> holds every capability over the daemon's namespaces
    /// by who it is, not by what it runs (the owner of the rootless daemon's user namespace): no
    /// exec gives it more, so what it held at a handoff connect stays its own.</summary>
    public static bool OwnsDaemonNamespaces(uint uid) => InOwnersUserNamespace && uid == OwnerUid;

    /// <summary>Every capability, as CapEff shows them.</summary>
    private const ulong AllCapabilities = ulong.MaxValue;

    /// <summary>For <see cref="Read"/> by uid alone.</summary>
    public const uint AnyGid = uint.MaxValue;

    /// <summary>The groups and capabilities of thread (or process) <paramref name="tid"/>, or null
    /// when they cannot be read safely or it is no longer the user <paramref name="uid"/>,
    /// <paramref name="gid"/> (FUSE reports the fsuid and fsgid, SO_PEERCRED the euid and egid).</summary>
    public static Held? Read(int tid, uint uid, uint gid)
    {
        if (tid <= 0)
            return null;
        int pidfd = PidfdOpen(tid, PIDFD_THREAD);
        int tgid = 0; // 0: pinned by the thread's own pidfd
        if (pidfd < 0)
        {
            // Before 6.9 only a thread-group leader has a pidfd: pin the process the thread belongs to.
            tgid = TgidOf(tid);
            if (tgid <= 0)
                return null;
            pidfd = PidfdOpen(tgid, 0);
            if (pidfd < 0)
                return null;
        }
        try
        {
            return ReadPinned(pidfd, tid, tgid, uid, gid);
        }
        finally
        {
            _ = close(pidfd);
        }
    }

    /// <summary>Opens a pidfd for process <paramref name="pid"/> (-1 if it is gone or unknown).</summary>
    public static int Pin(int pid) => pid > 0 ? PidfdOpen(pid, 0) : -1;

    public static void Unpin(int pidfd) => _ = close(pidfd);

    /// <summary>Reads task <paramref name="tid"/> while <paramref name="pidfd"/> pins it (or pins its
    /// process <paramref name="tgid"/>, when not 0): null if it is gone, or not that user any more.</summary>
    public static Held? ReadPinned(int pidfd, int tid, int tgid, uint uid, uint gid)
    {
        string status;
        try
        {
            status = File.ReadAllText($"/proc/{tid}/status");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        string userNs = UserNsOf(tid.ToString(CultureInfo.InvariantCulture));
        if (PidfdSendSignal(pidfd, 0) != 0)
            return null; // gone meanwhile: what was read may be another's
        var parsed = Parse(status);
        if (parsed is not { } p || (tgid != 0 && p.Tgid != tgid) || !p.Is(uid, gid))
            return null;
        return new Held(p.Groups, CapabilitiesOver(userNs, p));
    }

    /// <summary>What a task in user namespace <paramref name="userNs"/> ("" when it cannot be read)
    /// holds over the daemon's: its own capabilities if it is in the daemon's; nothing if it is in
    /// another. A rootless daemon cannot read the user namespace of a task outside its own (the
    /// kernel's ptrace check wants CAP_SYS_PTRACE there); such a task of the owner's holds every
    /// capability (cap_capable(): the owner of a user namespace has them all in it), anyone else's
    /// nothing. The owner's task in a user namespace beside the daemon's would get no more than the
    /// owner's others do; nobody else can map the owner's uid into one.</summary>
    private static ulong CapabilitiesOver(string userNs, Status p)
    {
        if (userNs.Length == 0)
            return OwnsDaemonNamespaces(p.EUid) ? AllCapabilities : 0;
        return userNs == OwnUserNs ? p.CapEff : 0;
    }

    /// <summary>The fields of a /proc status file that say who a task is.</summary>
    public readonly record struct Status(int Tgid, uint EUid, uint FsUid, uint EGid, uint FsGid, uint[] Groups, ulong CapEff)
    {
        /// <summary>FUSE reports the fsuid and fsgid, SO_PEERCRED the euid and egid: either is this task.</summary>
        public bool Is(uint uid, uint gid) => (uid == FsUid || uid == EUid) && (gid == AnyGid || gid == FsGid || gid == EGid);
    }

    /// <summary>Parses /proc/PID/status text; null when a field is missing or malformed.</summary>
    public static Status? Parse(string text)
    {
        int tgid = -1;
        uint euid = uint.MaxValue, fsuid = uint.MaxValue, egid = uint.MaxValue, fsgid = uint.MaxValue;
        uint[]? groups = null;
        ulong? capEff = null;
        foreach (var raw in text.Split('\n'))
        {
            int colon = raw.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
                continue;
            string key = raw[..colon];
            var fields = raw[(colon + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            switch (key)
            {
                case "Tgid" when fields.Length == 1 && int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int t):
                    tgid = t;
                    break;
                case "Uid" when fields.Length == 4:
                    euid = Id(fields[1]);
                    fsuid = Id(fields[3]);
                    break;
                case "Gid" when fields.Length == 4:
                    egid = Id(fields[1]);
                    fsgid = Id(fields[3]);
                    break;
                case "Groups":
                    var list = new uint[fields.Length];
                    for (int i = 0; i < fields.Length; i++)
                    {
                        if (!uint.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out list[i]))
                            return null;
                    }
                    groups = list;
                    break;
                case "CapEff" when fields.Length == 1 && ulong.TryParse(fields[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong c):
                    capEff = c;
                    break;
            }
        }
        if (tgid <= 0 || euid == uint.MaxValue || fsuid == uint.MaxValue || egid == uint.MaxValue || fsgid == uint.MaxValue || groups is null || capEff is null)
            return null;
        return new Status(tgid, euid, fsuid, egid, fsgid, groups, capEff.Value);
    }

    private static uint Id(string s) => uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out uint v) ? v : uint.MaxValue;

    private static int TgidOf(int tid)
    {
        try
        {
            return Parse(File.ReadAllText($"/proc/{tid}/status"))?.Tgid ?? -1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    private static string UserNsOf(string pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/user").LinkTarget ?? "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
