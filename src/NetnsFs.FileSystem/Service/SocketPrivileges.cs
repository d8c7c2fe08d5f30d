using System.Globalization;
using NetnsFs.FileSystem.Limits;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Interop;
using NetnsFs.Net.Identity;
using NetnsFs.Net.Namespaces;
using NetnsFs.Net.Sockets;
using Serilog;

namespace NetnsFs.FileSystem.Service;

/// <summary>The privileges a socket needs, checked against the caller in the target namespace's
/// terms: raw and packet sockets need CAP_NET_RAW (EPERM without, as socket(2) answers), a listen
/// port below that namespace's net.ipv4.ip_unprivileged_port_start needs CAP_NET_BIND_SERVICE
/// (EACCES, as bind(2) answers). Every denial is logged with the caller. This is the second line:
/// the socket is made with the caller's credentials (ThreadCredentials), so the kernel checks the
/// same and more (ping_group_range, owner matches) on its own.</summary>
public sealed class SocketPrivileges(ILogger log)
{
    /// <summary>What a refusal needs: the errno it answers and the capability it names.</summary>
    public readonly record struct Missing(Errno Errno, string Capability);

    // One line per capability per interval: each refusal is cheap to provoke (a pipelined handoff
    // flood of raw-socket requests wrote 100 000 lines).
    private readonly LogThrottle _rawDenials = new(MountLimits.LogInterval);
    private readonly LogThrottle _portDenials = new(MountLimits.LogInterval);
    private readonly LogThrottle _deputyDenials = new(MountLimits.LogInterval);

    /// <summary>The capability <paramref name="caller"/> lacks for <paramref name="recipe"/>, or
    /// null. <paramref name="unprivilegedPortStart"/> is asked only for a listen on a port above 0.</summary>
    public static Missing? Lacking(SocketRecipe recipe, Caller caller, Func<int> unprivilegedPortStart)
    {
        if (recipe.Kind.NeedsNetRaw && !caller.Has(Caller.CapNetRaw))
            return new Missing(Errno.EPERM, "CAP_NET_RAW");
        if (recipe is ListenRecipe l && l.Bind.Port > 0 && !caller.Has(Caller.CapNetBindService) &&
            l.Bind.Port < unprivilegedPortStart())
        {
            return new Missing(Errno.EACCES, "CAP_NET_BIND_SERVICE");
        }

        return null;
    }

    /// <summary>0, or the errno of a refusal (logged, at most a line per capability per interval).</summary>
    public Errno Check(NetNamespace ns, SocketRecipe recipe, Caller caller, string path)
    {
        // The owner of the namespace's user namespace holds every capability there (cap_capable).
        if (ns.OwnerUid is { } owner && caller.Uid == owner)
            return 0;
        // A daemon that cannot take on the caller (not root) makes every socket as its own user:
        // a netlink socket would carry the daemon's capabilities to the kernel's checks of it and
        // of its writer (the daemon), and a unix peer would see the daemon's user as its client.
        if (!ThreadCredentials.CanActAs(caller) && recipe.Kind.Family is SocketKind.AF_NETLINK or SocketKind.AF_UNIX)
        {
            if (_deputyDenials.TryLog(out long refusedSince))
                log.Warning("{Path} refused to {Caller}: this daemon cannot make netlink or unix sockets as another user ({More} more since the last line)", path, caller, refusedSince);
            return Errno.EACCES;
        }
        if (Lacking(recipe, caller, () => UnprivilegedPortStart(ns)) is not { } missing)
            return 0;
        var throttle = missing.Errno == Errno.EPERM ? _rawDenials : _portDenials;
        if (throttle.TryLog(out long more))
            log.Warning("{Path} refused to {Caller}: needs {Capability}: {Errno} ({More} more such refusals since the last line)", path, caller, missing.Capability, missing.Errno, more);
        return missing.Errno;
    }

    /// <summary>net.ipv4.ip_unprivileged_port_start of <paramref name="ns"/> (sysctls under
    /// /proc/sys/net show the reading thread's namespace); the kernel's default where unreadable.</summary>
    private static int UnprivilegedPortStart(NetNamespace ns) =>
        int.TryParse(ns.ReadInside("/proc/sys/net/ipv4/ip_unprivileged_port_start")?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int start)
            ? start : 1024;
}
