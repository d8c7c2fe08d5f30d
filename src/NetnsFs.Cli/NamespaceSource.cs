using NetnsFs.Fuse.Mounting;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Namespaces;

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

    /// <summary>-o netns=PATH. Without root, only the namespace the mounter stands in: entering any
    /// other needs CAP_SYS_ADMIN over its owning user namespace, which only a process that joined
    /// it has, and only a single-threaded one can join (refused here, at mount time, rather than
    /// at every socket).</summary>
    private static NetNamespace Attach(string path)
    {
        var ns = NetNamespace.Open(path);
        if (FuseMounter.IsPrivileged || ns.IsHome)
            return ns;
        ns.Dispose();
        throw new NetException(Errno.EPERM, $"-o netns={path}: without root only the namespace you are in can be attached " +
            "(entering another needs CAP_SYS_ADMIN over its user namespace); use -o create for one of your own, or mount as root");
    }
}
