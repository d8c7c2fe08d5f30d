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
            return NetNamespace.Open(options.NetnsPath);
        return NetNamespace.OpenCurrent();
    }
}
