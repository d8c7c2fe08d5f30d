using System.Collections.Concurrent;
using System.Text;
using Mono.Unix.Native;
using NetnsFs.FileSystem.Files;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Protocol;
using NetnsFs.Fuse.Session;
using NetnsFs.Net.Namespaces;
using NetnsFs.Net.Readiness;
using Serilog;

namespace NetnsFs.FileSystem;

/// <summary>The FUSE operations of a netnsfs mount: one namespace at the root (a single mount), or
/// one per directory (a multi mount, -o multi). Each namespace is a <see cref="NamespaceView"/>;
/// sockets are made inside its namespace and relayed by <see cref="SocketFile"/>.</summary>
public sealed partial class NetnsFileSystem : FuseFileSystem, IConnectionView
{
    private static readonly TimeSpan EntryTimeout = TimeSpan.FromSeconds(1);

    private readonly NodeTable _nodes;
    private readonly PathGrammar _grammar;
    private readonly FileSystemSettings _settings;
    private readonly MountLayout _layout;
    private readonly ReadinessEngine _engine;
    private readonly WriteBehindLedger _writeBehind;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<ulong, OpenFile> _open = new();
    private readonly ConcurrentDictionary<string, NamespaceView> _views = new();
    private readonly DateTimeOffset _mountTime = DateTimeOffset.UtcNow;
    private readonly NamespaceView? _single;
    private readonly NamespacePool? _pool;
    private FuseSession? _session;
    private long _nextHandle;

    /// <summary>A single mount of <paramref name="ns"/>, or with null a multi mount (namespaces by mkdir).</summary>
    public NetnsFileSystem(FileSystemSettings settings, NetNamespace? ns)
    {
        _settings = settings;
        _layout = settings.Layout;
        _engine = settings.Engine;
        _writeBehind = new WriteBehindLedger(TimeSpan.FromSeconds(settings.LingerSeconds)) { Log = settings.Log };
        _log = settings.Log.ForContext<NetnsFileSystem>();
        _grammar = new PathGrammar(_layout, this);
        var rootRole = ns is null ? DirectoryRole.MultiRoot : DirectoryRole.Root;
        _nodes = new NodeTable(new DirectoryNode("", null, rootRole, _layout.RootPermissions) { IsPinned = true });
        if (ns is not null)
            _single = AddView(_nodes.Root, "", ns, null);
        else
        {
            _nodes.Add(new TextFileNode("status", _nodes.Root, _ => MultiStatus(), 0x124));
            _pool = new NamespacePool(settings.SpareNamespaces, settings.Log);
        }
    }

    public bool IsMulti => _single is null;

    /// <summary>The namespace of a single mount (null for a multi mount).</summary>
    public NetNamespace? Namespace => _single?.Namespace;

    public int OpenSocketCount => _open.Values.Count(f => f is SocketFile);

    public int ListenerCount => _single?.Listeners.Count ?? _views.Values.Sum(v => v.Listeners.Count);

    public int NamespaceCount => _views.Count;

    /// <summary>Gives <paramref name="root"/> a namespace and the full layout of one.</summary>
    /// <param name="netnsName">The /run/netns name it was attached by, if any (for /etc/netns/NAME).</param>
    private NamespaceView AddView(DirectoryNode root, string name, NetNamespace ns, string? netnsName)
    {
        // Read at the first name lookup, not here: most namespaces never resolve a name, and a
        // multi mount creates them by the thousand.
        var resolver = new Lazy<Net.Names.ResolverConfig>(() => _settings.Resolver(netnsName, ns.Origin));
        var view = new NamespaceView(name, ns, root, new SocketMaker(ns, _engine, () => resolver.Value, _settings.Log), new ListenerRegistry(_engine));
        root.View = view;
        T Fixed<T>(T node) where T : Node
        {
            node.View = view;
            _nodes.Add(node);
            view.Entries.Add(node);
            return node;
        }
        var tcp = Fixed(new DirectoryNode("tcp", root, DirectoryRole.Transport, _layout.DirPermissions) { IsPinned = true, Transport = "tcp" });
        Fixed(new DirectoryNode("udp", root, DirectoryRole.Transport, _layout.DirPermissions) { IsPinned = true, Transport = "udp" });
        var unix = Fixed(new DirectoryNode("unix", root, DirectoryRole.Unix, _layout.DirPermissions) { IsPinned = true });
        Fixed(new DirectoryNode("conn", root, DirectoryRole.Connections, _layout.DirPermissions) { IsPinned = true });
        Fixed(new DirectoryNode("net", root, DirectoryRole.ProcNet, _layout.DirPermissions) { IsPinned = true });
        Fixed(new SymlinkNode("ns", root, $"/proc/{Environment.ProcessId}/fd/{ns.Fd}"));
        Fixed(new TextFileNode("status", root, _ => StatusOf(view), 0x124));
        if (_settings.RunDirectory is not null)
            Fixed(new SymlinkNode(NetnsFs.Client.HandoffWire.LinkName, root, HandoffPath(view)));
        _nodes.Add(new DirectoryNode("listen", tcp, DirectoryRole.Listen, _layout.DirPermissions) { IsPinned = true, Transport = "tcp" });
        _nodes.Add(new DirectoryNode("listen", unix, DirectoryRole.UnixListen, _layout.DirPermissions) { IsPinned = true, Transport = "unix" });
        _views[name] = view;
        return view;
    }

    private string StatusOf(NamespaceView view) => string.Join('\n',
        (view.Name.Length > 0 ? $"name={view.Name}\n" : "") +
        $"netns_inode={view.Namespace.Inode}",
        $"origin={view.Namespace.Origin}",
        $"sockets={_open.Values.Count(f => f is SocketFile s && s.View == view)}",
        $"listeners={view.Listeners.Count}",
        DeferredStatus,
        WriteBehindStatus,
        LimitsStatus,
        _settings.MountInfo()) + "\n";

    private string MultiStatus() => string.Join('\n',
        "mode=multi",
        $"namespaces={_views.Count}",
        $"spare_namespaces={_pool?.SpareCount ?? 0}",
        $"sockets={OpenSocketCount}",
        $"listeners={ListenerCount}",
        DeferredStatus,
        WriteBehindStatus,
        LimitsStatus,
        _settings.MountInfo()) + "\n";

    /// <summary>Mount-wide: requests whose answer comes later (a read or write waiting for its
    /// socket, an open waiting for its connect or accept); tests wait on it instead of sleeping.</summary>
    private string DeferredStatus => $"deferred_requests={_session?.DeferredCount ?? 0}";

    /// <summary>Mount-wide: answered writes not yet taken by their sockets, and closed sockets still sending.</summary>
    private string WriteBehindStatus =>
        $"held_writes={_writeBehind.HeldWrites}\nlingering_sockets={_writeBehind.LingeringSockets}";

    public override void Initialized(FuseSession session, FuseConnectionInfo info) => _session = session;

    private FuseSession Session => _session ?? throw new InvalidOperationException("not initialized");

    public override void Lookup(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name)
    {
        if (_nodes.Find(parent) is not DirectoryNode dir)
        {
            req.ReplyError(Errno.ENOTDIR);
            return;
        }
        if (dir.Role == DirectoryRole.Connections && name.SequenceEqual("self"u8))
        {
            LookupSelf(req, dir);
            return;
        }
        var e = LookupChild(dir, name, out var node);
        if (e != 0)
        {
            LogRefusal(req, dir, name, e);
            req.ReplyError(e);
            return;
        }
        if (dir.Role == DirectoryRole.Root && node is SymlinkNode && node.Name == NetnsFs.Client.HandoffWire.LinkName)
            StartHandoff(dir.View!);
        req.Reply(EntryOf(node!));
    }

    /// <summary>conn/self: the newest open socket of the caller's process (whichever of its threads
    /// opened it), or else of its nearest ancestor that has one (so `cat DIR/conn/self/local` in a
    /// shell finds the shell's socket). Never cached: it depends on who asks.</summary>
    private void LookupSelf(FuseRequest req, DirectoryNode dir)
    {
        req.WillTakeLong(); // reads /proc for the caller's ancestors, looks through every open file
        uint process = Paths.ProcessAncestry.ProcessOf(req.Pid);
        ulong newest = process == 0 ? 0 : NewestSocketOf(dir, process); // 0: a caller with no pid here
        if (newest == 0 && process != 0)
        {
            foreach (uint ancestor in Paths.ProcessAncestry.Ancestors(process))
            {
                newest = NewestSocketOf(dir, ancestor);
                if (newest != 0)
                    break;
            }
        }
        if (newest == 0 || LookupChild(dir, Encoding.UTF8.GetBytes(newest.ToString(System.Globalization.CultureInfo.InvariantCulture)), out var node) != 0)
        {
            req.ReplyError(Errno.ENOENT);
            return;
        }
        var entry = EntryOf(node!);
        entry.EntryValid = 0;
        req.Reply(entry);
    }

    /// <summary>The handle of the newest socket of <paramref name="dir"/>'s namespace that a thread
    /// of <paramref name="process"/> opened; 0 if none.</summary>
    private ulong NewestSocketOf(DirectoryNode dir, uint process)
    {
        ulong newest = 0;
        foreach (var (h, f) in _open)
        {
            if (f is SocketFile s && s.View == dir.View && h > newest && s.OpenerProcess == process)
                newest = h;
        }
        return newest;
    }

    /// <summary>The child named <paramref name="name"/>, made if the grammar allows it; counts a lookup.</summary>
    private Errno LookupChild(DirectoryNode dir, ReadOnlySpan<byte> name, out Node? node)
    {
        node = null;
        if (name.Length <= PathGrammar.NameMax && IsValidUtf8(name))
        {
            string text = Encoding.UTF8.GetString(name);
            var existing = _nodes.FindChild(dir, text);
            if (existing is DirectoryNode { Role: DirectoryRole.Connection } gone && !Exists(gone.Handle))
            {
                _nodes.Detach(gone); // the socket closed: conn/N goes with it
                return Errno.ENOENT;
            }
            if (existing is not null)
            {
                _nodes.CountLookup(existing);
                node = existing;
                return 0;
            }
            var e = _grammar.Resolve(dir, name, out var make);
            if (e != 0)
                return e;
            node = _nodes.LookupOrAdd(dir, text, make!);
            return 0;
        }
        return _grammar.Resolve(dir, name, out _);
    }

    private static bool IsValidUtf8(ReadOnlySpan<byte> s) => System.Text.Unicode.Utf8.IsValid(s);

    private void LogRefusal(FuseRequest req, Node dir, ReadOnlySpan<byte> name, Errno e)
    {
        if (e != Errno.ENOENT || _log.IsEnabled(Serilog.Events.LogEventLevel.Debug))
            _log.Debug("lookup {Name} in {Dir} by pid {Pid} uid {Uid}: {Errno}", Encoding.UTF8.GetString(name), PathOf(dir), req.Pid, req.Uid, e);
    }

    private static string PathOf(Node node)
    {
        var parts = new List<string>();
        for (Node? n = node; n?.Parent is not null; n = n.Parent)
            parts.Add(n.Name);
        parts.Reverse();
        return "/" + string.Join('/', parts);
    }

    public override void Forget(NodeId node, ulong nlookup) => _nodes.Forget(node, nlookup);

    private FuseEntryOut EntryOf(Node node) => new()
    {
        NodeId = node.Id.Value,
        Generation = 1,
        EntryValid = (ulong)EntryTimeout.TotalSeconds,
        AttrValid = (ulong)EntryTimeout.TotalSeconds,
        Attr = AttrOf(node),
    };

    private FuseAttr AttrOf(Node node)
    {
        ulong t = (ulong)_mountTime.ToUnixTimeSeconds();
        return new FuseAttr
        {
            Ino = node.Id.Value,
            Size = node.Size,
            Mode = node.Mode,
            NLink = node is DirectoryNode ? 2u : 1u,
            Uid = _layout.Uid,
            Gid = _layout.Gid,
            BlkSize = 4096,
            ATime = t,
            MTime = t,
            CTime = t,
        };
    }

    public override void GetAttr(FuseRequest req, NodeId node, FileHandle? fh)
    {
        var n = _nodes.Find(node);
        if (n is null)
        {
            req.ReplyError(Errno.ENOENT);
            return;
        }
        req.Reply(new FuseAttrOut { AttrValid = (ulong)EntryTimeout.TotalSeconds, Attr = AttrOf(n) });
    }

    public override void SetAttr(FuseRequest req, NodeId node, in FuseSetAttrIn attr)
    {
        var n = _nodes.Find(node);
        if (n is null)
        {
            req.ReplyError(Errno.ENOENT);
            return;
        }
        // Truncation of a socket file (shell ">" redirection) means nothing and is allowed; owners
        // and modes are the mount's, fixed by its options.
        var valid = (SetAttrValid)attr.Valid & ~(SetAttrValid.Size | SetAttrValid.Fh | SetAttrValid.LockOwner |
            SetAttrValid.ATime | SetAttrValid.MTime | SetAttrValid.ATimeNow | SetAttrValid.MTimeNow | SetAttrValid.CTime | SetAttrValid.KillSuidGid);
        if (valid != 0)
        {
            req.ReplyError(Errno.EPERM);
            return;
        }
        req.Reply(new FuseAttrOut { AttrValid = (ulong)EntryTimeout.TotalSeconds, Attr = AttrOf(n) });
    }

    public override void ReadLink(FuseRequest req, NodeId node)
    {
        if (_nodes.Find(node) is SymlinkNode link)
            req.ReplyData(Encoding.UTF8.GetBytes(link.Target));
        else
            req.ReplyError(Errno.EINVAL);
    }

    public override void Access(FuseRequest req, NodeId node, int mask) => req.ReplyEmpty();

    public override void Destroy()
    {
        _pool?.Dispose();
        foreach (var view in _views.Values)
            view.Dispose();
        _views.Clear();
        foreach (var f in _open.Values)
            f.Close();
        _open.Clear();
        _writeBehind.EndAll();
    }
}
