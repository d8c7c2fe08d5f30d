using NetnsFs.Fuse.Mounting;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Namespaces;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli;

/// <summary>Which namespace a mount is: -o create (new, lo up), -o netns=PATH, or the mounter's own.</summary>
public static class NamespaceSource
{
    public static NetNamespace Acquire(MountOptions options)
    {
        if (options.Create)
            return NetNamespace.Create();
        if (options.NetnsPath is not null)
            return Attach(options.NetnsPath);
        return NetNamespace.OpenCurrent();
    }

    /// <summary>-o netns=PATH. Without root: the namespace the mounter stands in, or one of a user
    /// namespace it owns, made from its own (`unshare -Urn`, rootless Podman), which the daemon
    /// serves through a <see cref="NamespaceProxy"/>; any other is refused here, at mount time,
    /// rather than at every socket (entering it needs CAP_SYS_ADMIN over its user namespace).</summary>
    private static NetNamespace Attach(string path)
    {
        var ns = NetNamespace.Open(path);
        if (FuseMounter.IsPrivileged || ns.IsHome || NamespaceProxy.OwnerOfChild(ns) == geteuid())
            return ns;
        ns.Dispose();
        throw new NetException(Errno.EPERM, $"-o netns={path}: without root only the namespace you are in, or one of a user namespace " +
            "you own, can be attached (entering another needs CAP_SYS_ADMIN over its user namespace); use -o create for one of your own, or mount as root");
    }

    /// <summary>In the daemon: the attached namespace, served through a proxy where this process
    /// cannot enter it (see <see cref="Attach"/>).</summary>
    public static NetNamespace Served(NetNamespace ns) =>
        !FuseMounter.IsPrivileged && !ns.IsHome && NamespaceProxy.OwnerOfChild(ns) is { } owner ? NamespaceProxy.Serve(ns, owner) : ns;
}
