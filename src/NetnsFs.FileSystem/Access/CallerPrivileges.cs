using NetnsFs.Net.Identity;

namespace NetnsFs.FileSystem.Access;

/// <summary>Whether a process holds a capability over the daemon's user namespace, read from its
/// /proc status under a pidfd (<see cref="ProcessCredentials"/>), for checks made by pid alone.</summary>
public static class CallerPrivileges
{
    /// <summary>False when the process cannot be read (pid 0: outside our pid namespace; gone; not
    /// the user <paramref name="uid"/> any more): what cannot be known is not granted.</summary>
    public static bool Has(int pid, uint uid, int capability) =>
        ProcessCredentials.Read(pid, uid, ProcessCredentials.AnyGid) is { } held && (held.Capabilities & (1UL << capability)) != 0;
}
