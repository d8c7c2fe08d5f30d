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
public sealed partial class NetnsFileSystem : FuseFileSystem, INodeContent
{
    private static readonly TimeSpan EntryTimeout = TimeSpan.FromSeconds(1);

    private readonly NodeTable _nodes;
    private readonly PathGrammar _grammar;
    private readonly NodeFactory _factory;
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
        _grammar = new PathGrammar(hasHandoff: settings.RunDirectory is not null);
        _factory = new NodeFactory(_layout, this);
        DirectoryMeaning rootMeaning = ns is null ? MultiRootDirectory.Instance : NamespaceDirectory.Instance;
        _nodes = new NodeTable(new DirectoryNode("", null, rootMeaning, _layout.RootPermissions) { IsPinned = true });
        if (ns is not null)
            _single = AddView(_nodes.Root, "", ns, null);
        else
        {
            PinFixedEntries(_nodes.Root); // status
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
        view.Entries.AddRange(PinFixedEntries(root));
        _views[name] = view;
        return view;
    }

    /// <summary>Makes the fixed entries the grammar gives <paramref name="dir"/> (and theirs: tcp/listen/),
    /// pinned; returns the top ones, in listing order.</summary>
    private List<Node> PinFixedEntries(DirectoryNode dir)
    {
        var made = new List<Node>();
        foreach (var (name, meaning) in _grammar.FixedEntries(dir.Meaning))
        {
            var node = _nodes.Add(_factory.Make(name, dir, meaning));
            made.Add(node);
            if (node is DirectoryNode sub)
                PinFixedEntries(sub);
        }
        return made;
    }

    string INodeContent.Status(NamespaceView? view) => view is null ? MultiStatus() : StatusOf(view);

    string INodeContent.LinkTarget(NamespaceView view, FixedFileKind link) => link == FixedFileKind.HandoffLink
        ? HandoffPath(view)
        : $"/proc/{Environment.ProcessId}/fd/{view.Namespace.Fd}";

    private string StatusOf(NamespaceView view) => string.Join('\n',
        (view.Name.Length > 0 ? $"name={view.Name}\n" : "") +
        $"netns_inode={view.Namespace.Inode}",
        $"origin={view.Namespace.Origin}",
        $"sockets={_open.Values.Count(f => f is SocketFile s && s.View == view)}",
        $"listeners={view.Listeners.Count}",
        WriteBehindStatus,
        LimitsStatus,
        _settings.MountInfo()) + "\n";

    private string MultiStatus() => string.Join('\n',
        "mode=multi",
        $"namespaces={_views.Count}",
        $"spare_namespaces={_pool?.SpareCount ?? 0}",
        $"sockets={OpenSocketCount}",
        $"listeners={ListenerCount}",
        WriteBehindStatus,
        LimitsStatus,
        _settings.MountInfo()) + "\n";

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
        if (name.Length > PathGrammar.NameMax || !IsValidUtf8(name))
            return _grammar.Resolve(dir.Meaning, name, out _); // its errno
        string text = Encoding.UTF8.GetString(name);
        var existing = _nodes.FindChild(dir, text);
        if (existing is DirectoryNode { Meaning: ConnectionDirectory c } gone && !Exists(c.Handle))
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
        var e = _grammar.Resolve(dir.Meaning, text, out var meaning);
        if (e == 0)
            e = Admit(meaning!);
        if (e != 0)
            return e;
        node = _nodes.LookupOrAdd(dir, text, () => _factory.Make(text, dir, meaning!));
        return 0;
    }

    /// <summary>What the grammar cannot know: conn/N/ exists while socket N is open; a fixed entry
    /// that is not pinned belongs to a namespace removed (rmdir) since.</summary>
    private Errno Admit(PathMeaning meaning) => meaning switch
    {
        ConnectionDirectory c when !Exists(c.Handle) => Errno.ENOENT,
        { IsFixed: true } => Errno.ENOENT,
        _ => 0,
    };

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
