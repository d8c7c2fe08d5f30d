using System.Text;
using NetnsFs.FileSystem.Files;
using NetnsFs.FileSystem.Limits;
using NetnsFs.FileSystem.Mount;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.FileSystem.Service;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;
using NetnsFs.Net.Identity;
using NetnsFs.Net.Namespaces;
using NetnsFs.Net.Readiness;
using Serilog;

namespace NetnsFs.FileSystem;

/// <summary>The FUSE operations of a netnsfs mount: one namespace at the root (a single mount), or
/// one per directory (a multi mount, -o multi). Each namespace is a <see cref="NamespaceView"/>;
/// sockets are made inside its namespace by the <see cref="SocketService"/> and relayed by
/// <see cref="SocketFile"/>. This class is the FUSE adapter: it decodes a request's node, asks the
/// piece that holds the answer (the <see cref="OpenFileTable"/>, the <see cref="NamespaceRegistry"/>,
/// the <see cref="SocketService"/>, the <see cref="ConnectionFiles"/>, the <see cref="MountStatus"/>),
/// and replies. Its parts: nodes and attributes (here), opens and I/O (.Files), namespaces of a
/// multi mount (.Namespaces), directories (.Directories, .Listings), the handoff socket (.Handoff).</summary>
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
    private readonly OpenFileTable _files = new();
    private readonly NamespaceRegistry _namespaces;
    private readonly ConnectionFiles _connections;
    private readonly MountStatus _status;
    private readonly SocketService _sockets;
    private readonly DateTimeOffset _mountTime = DateTimeOffset.UtcNow;
    private FuseSession? _session;

    /// <summary>A single mount of <paramref name="ns"/>, or with null a multi mount (namespaces by mkdir).</summary>
    public NetnsFileSystem(FileSystemSettings settings, NetNamespace? ns)
    {
        _settings = settings;
        _layout = settings.Layout;
        _engine = settings.Engine;
        _writeBehind = new WriteBehindLedger(TimeSpan.FromSeconds(settings.LingerSeconds)) { Log = settings.Log };
        _log = settings.Log.ForContext<NetnsFileSystem>();
        _namespaces = new NamespaceRegistry(Limits, ns is null ? new NamespacePool(settings.SpareNamespaces, settings.Log) : null, _log);
        _connections = new ConnectionFiles(_files, _log);
        _status = new MountStatus(_files, _namespaces, _writeBehind, Limits, () => _session?.DeferredCount ?? 0, settings.MountInfo);
        _sockets = new SocketService(Limits, settings.Log);
        _grammar = new PathGrammar(hasHandoff: settings.RunDirectory is not null);
        _factory = new NodeFactory(_layout, this);
        DirectoryMeaning rootMeaning = ns is null ? MultiRootDirectory.Instance : NamespaceDirectory.Instance;
        _nodes = new NodeTable(new DirectoryNode("", null, rootMeaning, _layout.RootPermissions) { IsPinned = true });
        if (ns is not null)
            AddView(_nodes.Root, "", ns, null);
        else
            PinFixedEntries(_nodes.Root); // status
        if (ns is null)
            WatchPins();
    }

    private MountLimits Limits => _settings.Limits;

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
        _namespaces.Add(view);
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

    string INodeContent.Describe(ulong handle, string file) => _connections.Describe(handle, file);

    Errno INodeContent.Control(ulong handle, string command) => _connections.Control(handle, command);

    string INodeContent.ReadProcNet(NamespaceView view, string file, Caller caller) => _connections.ReadProcNet(view, file, caller);

    string INodeContent.Status(NamespaceView? view) => view is null ? _status.OfMultiMount() : _status.Of(view);

    string INodeContent.LinkTarget(NamespaceView view, FixedFileKind link) => link == FixedFileKind.HandoffLink
        ? HandoffPath(view)
        : $"/proc/{Environment.ProcessId}/fd/{view.Namespace.Fd}";

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
        req.WillTakeLong(); // reads /proc for the caller's ancestors
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
    private ulong NewestSocketOf(DirectoryNode dir, uint process) => _files.NewestSocketOf(dir.View!, process);

    /// <summary>Whether conn/<paramref name="handle"/> is an open socket still.</summary>
    private bool Exists(ulong handle) => _connections.Exists(handle);

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

    /// <summary>A charge for one <paramref name="r"/> of the caller; null when a cap refuses, and
    /// the request is answered with the limit's errno (the limits log it).</summary>
    private Charge? TakeOrRefuse(FuseRequest req, Resource r)
    {
        var charge = Limits.Take(r, req.Uid, out var refused);
        if (charge is null)
            req.ReplyError(refused);
        return charge;
    }

    /// <summary>The caller of a FUSE request, with the groups and capabilities its thread holds now.</summary>
    private static Caller CallerOf(FuseRequest req) => Caller.OfThread((int)req.Pid, req.Uid, req.Gid);

    public override void Destroy()
    {
        _pins?.Dispose();
        _namespaces.Dispose();
        _files.CloseAll();
        _writeBehind.EndAll();
    }
}
