using System.Globalization;
using Mono.Unix.Native;
using NetnsFs.Net.Identity;
using NetnsFs.FileSystem.Paths;

namespace NetnsFs.FileSystem;

/// <summary>The privileges a socket needs, checked against the caller in the target namespace's
/// terms: raw and packet sockets need CAP_NET_RAW (EPERM without, as socket(2) answers), a listen
/// port below that namespace's net.ipv4.ip_unprivileged_port_start needs CAP_NET_BIND_SERVICE
/// (EACCES, as bind(2) answers). Every denial is logged with the caller. This is the second line:
/// the socket is made with the caller's credentials (ThreadCredentials), so the kernel checks the
/// same and more (ping_group_range, owner matches) on its own.</summary>
public sealed partial class NetnsFileSystem
{
    public Errno CheckPrivileges(NamespaceView view, SocketRecipe recipe, Caller caller, string path)
    {
        if (recipe.Kind.NeedsNetRaw && !caller.Has(Caller.CapNetRaw))
            return Deny(caller, path, Errno.EPERM, "CAP_NET_RAW");
        if (recipe is ListenRecipe l && l.Bind.Port > 0 && l.Bind.Port < UnprivilegedPortStart(view) &&
            !caller.Has(Caller.CapNetBindService))
            return Deny(caller, path, Errno.EACCES, "CAP_NET_BIND_SERVICE");
        return 0;
    }

    // One line per capability per interval: each refusal is cheap to provoke (a pipelined handoff
    // flood of raw-socket requests wrote 100 000 lines).
    private readonly NetnsFs.FileSystem.Limits.LogThrottle _rawDenials = new(NetnsFs.FileSystem.Limits.MountLimits.LogInterval);
    private readonly NetnsFs.FileSystem.Limits.LogThrottle _portDenials = new(NetnsFs.FileSystem.Limits.MountLimits.LogInterval);

    private Errno Deny(Caller caller, string path, Errno errno, string capability)
    {
        var throttle = capability == "CAP_NET_RAW" ? _rawDenials : _portDenials;
        if (throttle.TryLog(out long more))
            _log.Warning("{Path} refused to {Caller}: needs {Capability}: {Errno} ({More} more such refusals since the last line)", path, caller, capability, errno, more);
        return errno;
    }

    /// <summary>net.ipv4.ip_unprivileged_port_start of the mount's namespace (sysctls under
    /// /proc/sys/net show the reading thread's namespace).</summary>
    private static int UnprivilegedPortStart(NamespaceView view)
    {
        using (view.Namespace.Enter())
        {
            try
            {
                return int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_unprivileged_port_start").Trim(), CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or FormatException)
            {
                return 1024;
            }
        }
    }
}
