using NetnsFs.FileSystem.Files;
using NetnsFs.FileSystem.Handoff;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.Net.Namespaces;

namespace NetnsFs.FileSystem;

/// <summary>One namespace as the filesystem shows it: its directory (the mount root in a single
/// mount, DIR/NAME in a multi mount) with the full layout (triples, tcp/, udp/, unix/, conn/, net/,
/// ns, status, handoff), its listeners, its socket maker, its handoff socket. No thread of its own:
/// every namespace shares the FUSE readers and the one readiness engine.</summary>
public sealed class NamespaceView : IDisposable
{
    private readonly Lock _lock = new();
    private HandoffServer? _handoff;

    internal NamespaceView(string name, NetNamespace ns, DirectoryNode root, SocketMaker maker, ListenerRegistry listeners)
    {
        Name = name;
        Namespace = ns;
        Root = root;
        Maker = maker;
        Listeners = listeners;
    }

    /// <summary>"" for a single mount; the directory name under a multi mount.</summary>
    public string Name { get; }

    public NetNamespace Namespace { get; }

    public DirectoryNode Root { get; }

    internal SocketMaker Maker { get; }

    public ListenerRegistry Listeners { get; }

    /// <summary>The fixed entries of the namespace's directory, in listing order.</summary>
    internal List<Node> Entries { get; } = [];

    public bool Removed { get; private set; }

    /// <summary>The uid that made it (mkdir) or attached it (ln -s) in a multi mount; 0 for a single
    /// mount's. Only this uid and root may remove it (the sharing model).</summary>
    public uint Owner { get; internal set; }

    /// <summary>Whether <paramref name="uid"/> may remove it: its owner, or root.</summary>
    public bool IsRemovableBy(uint uid) => uid == 0 || uid == Owner;

    /// <summary>The handoff server, started on first use (1000 namespaces need not hold 1000 sockets).</summary>
    internal HandoffServer EnsureHandoff(Func<HandoffServer> start)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(Removed, this);
            return _handoff ??= start();
        }
    }

    /// <summary>rmdir or unmount: close the listeners and the handoff socket, drop our hold on the
    /// namespace. Open socket files live on; the kernel keeps the namespace while they do.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (Removed)
                return;
            Removed = true;
            _handoff?.Dispose();
        }
        Listeners.CloseAll();
        Namespace.Dispose();
    }
}
