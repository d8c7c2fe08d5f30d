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

/// <summary>A mount that is one network namespace: the FUSE operations on its nodes. Sockets are
/// made inside <see cref="Namespace"/>; their files are relayed by <see cref="SocketFile"/>.</summary>
public sealed partial class NetnsFileSystem : FuseFileSystem, IConnectionView
{
    private static readonly TimeSpan EntryTimeout = TimeSpan.FromSeconds(1);

    private readonly NodeTable _nodes;
    private readonly PathGrammar _grammar;
    private readonly MountLayout _layout;
    private readonly ReadinessEngine _engine;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<ulong, OpenFile> _open = new();
    private readonly DateTimeOffset _mountTime = DateTimeOffset.UtcNow;
    private readonly List<Node> _rootEntries = [];
    private readonly ListenerRegistry _listeners;
    private readonly Func<Net.Names.ResolverConfig> _resolver;
    private readonly SocketMaker _maker;
    private FuseSession? _session;
    private long _nextHandle;

    public NetnsFileSystem(NetNamespace ns, MountLayout layout, ReadinessEngine engine, ILogger log, Func<string>? status = null, Func<Net.Names.ResolverConfig>? resolver = null, string? handoffSocket = null)
    {
        _resolver = resolver ?? (() => Net.Names.ResolverConfig.For(null, null, null));
        _maker = new SocketMaker(ns, engine, _resolver, log);
        Namespace = ns;
        _layout = layout;
        _engine = engine;
        _log = log.ForContext<NetnsFileSystem>();
        _grammar = new PathGrammar(layout, this);
        _listeners = new ListenerRegistry(engine);
        _nodes = new NodeTable(new DirectoryNode("", null, DirectoryRole.Root, layout.RootPermissions) { IsPinned = true });
        var root = _nodes.Root;
        var tcp = AddFixed(new DirectoryNode("tcp", root, DirectoryRole.Transport, layout.DirPermissions) { IsPinned = true, Transport = "tcp" });
        AddFixed(new DirectoryNode("udp", root, DirectoryRole.Transport, layout.DirPermissions) { IsPinned = true, Transport = "udp" });
        var unix = AddFixed(new DirectoryNode("unix", root, DirectoryRole.Unix, layout.DirPermissions) { IsPinned = true });
        AddFixed(new DirectoryNode("conn", root, DirectoryRole.Connections, layout.DirPermissions) { IsPinned = true });
        AddFixed(new DirectoryNode("net", root, DirectoryRole.ProcNet, layout.DirPermissions) { IsPinned = true });
        AddFixed(new SymlinkNode("ns", root, $"/proc/{Environment.ProcessId}/fd/{ns.Fd}"));
        AddFixed(new TextFileNode("status", root, status ?? DefaultStatus, 0x124));
        if (handoffSocket is not null)
            AddFixed(new SymlinkNode(NetnsFs.Client.HandoffWire.LinkName, root, handoffSocket));
        _nodes.Add(new DirectoryNode("listen", tcp, DirectoryRole.Listen, layout.DirPermissions) { IsPinned = true, Transport = "tcp" });
        _nodes.Add(new DirectoryNode("listen", unix, DirectoryRole.UnixListen, layout.DirPermissions) { IsPinned = true, Transport = "unix" });
    }

    public NetNamespace Namespace { get; }

    public int OpenSocketCount => _open.Values.Count(f => f is SocketFile);

    private T AddFixed<T>(T node) where T : Node
    {
        _nodes.Add(node);
        _rootEntries.Add(node);
        return node;
    }

    public int ListenerCount => _listeners.Count;

    private string DefaultStatus() =>
        $"netns_inode={Namespace.Inode}\norigin={Namespace.Origin}\nsockets={OpenSocketCount}\nlisteners={ListenerCount}\n";

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
        req.Reply(EntryOf(node!));
    }

    /// <summary>conn/self: the newest open socket of the caller, or else of its nearest ancestor
    /// that has one (so `cat DIR/conn/self/local` in a shell finds the shell's socket). Never
    /// cached: it depends on who asks.</summary>
    private void LookupSelf(FuseRequest req, DirectoryNode dir)
    {
        ulong newest = 0;
        foreach (uint pid in Paths.ProcessAncestry.Chain(req.Pid))
        {
            foreach (var (h, f) in _open)
            {
                if (f is SocketFile s && s.OpenerPid == pid && h > newest)
                    newest = h;
            }
            if (newest != 0)
                break;
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

    /// <summary>The child named <paramref name="name"/>, made if the grammar allows it; counts a lookup.</summary>
    private Errno LookupChild(DirectoryNode dir, ReadOnlySpan<byte> name, out Node? node)
    {
        node = null;
        if (name.Length <= PathGrammar.NameMax && IsValidUtf8(name))
        {
            string text = Encoding.UTF8.GetString(name);
            var existing = _nodes.FindChild(dir, text);
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

    public override void OpenDir(FuseRequest req, NodeId node, int flags)
    {
        if (_nodes.Find(node) is DirectoryNode)
            req.ReplyOpen(new FileHandle(0), OpenReplyFlags.None);
        else
            req.ReplyError(Errno.ENOTDIR);
    }

    public override void ReadDir(FuseRequest req, NodeId node, FileHandle fh, long offset, int size)
    {
        if (_nodes.Find(node) is not DirectoryNode dir)
        {
            req.ReplyError(Errno.ENOTDIR);
            return;
        }
        var entries = Listing(dir);
        var writer = new DirentWriter(FuseRequest.Scratch(size));
        for (long i = offset; i < entries.Count; i++)
        {
            var (name, ino, mode) = entries[(int)i];
            if (!writer.TryAdd(ino, (ulong)(i + 1), mode >> 12, Encoding.UTF8.GetBytes(name)))
                break;
        }
        req.ReplyScratch(writer.Length);
    }

    /// <summary>What `ls` shows in a directory.</summary>
    private List<(string Name, ulong Ino, uint Mode)> Listing(DirectoryNode dir)
    {
        var list = new List<(string Name, ulong Ino, uint Mode)>
        {
            (".", dir.Id.Value, dir.Mode),
            ("..", dir.Parent?.Id.Value ?? dir.Id.Value, Node.S_IFDIR),
        };
        uint file = Node.S_IFREG | _layout.FilePermissions;
        uint sub = Node.S_IFDIR | _layout.DirPermissions;
        switch (dir.Role)
        {
            case DirectoryRole.Root:
                foreach (var n in _rootEntries)
                    list.Add((n.Name, n.Id.Value, n.Mode));
                foreach (var t in Net.Sockets.SocketTriple.Common)
                    list.Add((t, NameIno(t), file));
                break;
            case DirectoryRole.Transport when dir.Transport == "tcp":
            case DirectoryRole.Unix:
                list.Add(("listen", NameIno(dir.Name + "/listen"), sub));
                break;
            case DirectoryRole.Listen:
            case DirectoryRole.UnixListen:
            case DirectoryRole.ListenAddress:
                string prefix = dir.Role == DirectoryRole.ListenAddress ? $"tcp/{dir.Host}/" : dir.Role == DirectoryRole.Listen ? "tcp/" : "unix/";
                foreach (var (key, _) in _listeners.All)
                {
                    if (!key.StartsWith(prefix, StringComparison.Ordinal))
                        continue;
                    string rest = key[prefix.Length..];
                    if (dir.Role == DirectoryRole.Listen)
                    {
                        // tcp/*/PORT shows as PORT; tcp/ADDR/PORT as the directory ADDR
                        int slash = rest.IndexOf('/', StringComparison.Ordinal);
                        string first = rest[..slash];
                        string entry = first == "*" ? rest[(slash + 1)..] : first;
                        if (!list.Exists(e => e.Name == entry))
                            list.Add((entry, NameIno(key), first == "*" ? file : sub));
                    }
                    else
                        list.Add((rest, NameIno(key), file));
                }
                break;
            case DirectoryRole.Connections:
                foreach (var (h, f) in _open)
                {
                    if (f is SocketFile)
                        list.Add((h.ToString(System.Globalization.CultureInfo.InvariantCulture), NameIno("conn/" + h), sub));
                }
                break;
            case DirectoryRole.Connection:
                foreach (var name in IConnectionView.Files)
                    list.Add((name, NameIno(name), Node.S_IFREG | (_layout.FilePermissions & 0x124)));
                list.Add(("ctl", NameIno("ctl"), Node.S_IFREG | (_layout.FilePermissions & 0x192)));
                break;
            case DirectoryRole.ProcNet:
                foreach (var name in PathGrammar.ProcNetFiles)
                    list.Add((name, NameIno("net/" + name), Node.S_IFREG | (_layout.FilePermissions & 0x124)));
                break;
        }
        return list;
    }

    /// <summary>An inode number for a listed name that no lookup has made yet (readdir needs one).</summary>
    private static ulong NameIno(string name) => 0x8000_0000_0000_0000UL | (uint)name.GetHashCode(StringComparison.Ordinal);

    public override void MkDir(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint umask) => req.ReplyError(Errno.EPERM);

    public override void MkNod(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask) => req.ReplyError(Errno.EPERM);

    public override void Symlink(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target) => req.ReplyError(Errno.EPERM);

    /// <summary>`rm DIR/tcp/listen/PORT` closes that listener.</summary>
    public override void Unlink(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name)
    {
        if (_nodes.Find(parent) is not DirectoryNode dir || dir.Role is not (DirectoryRole.Listen or DirectoryRole.ListenAddress or DirectoryRole.UnixListen))
        {
            req.ReplyError(Errno.EPERM);
            return;
        }
        string text = Encoding.UTF8.GetString(name);
        string key = dir.Role switch
        {
            DirectoryRole.Listen => $"tcp/*/{text}",
            DirectoryRole.ListenAddress => $"tcp/{dir.Host}/{text}",
            _ => $"unix/{text}",
        };
        if (!_listeners.Remove(key))
        {
            req.ReplyError(Errno.ENOENT);
            return;
        }
        _log.Information("listener {Key} closed by pid {Pid} uid {Uid}", key, req.Pid, req.Uid);
        if (_nodes.FindChild(dir, text) is { } node)
            _nodes.Detach(node);
        req.ReplyEmpty();
    }

    public override void RmDir(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name) => req.ReplyError(Errno.EPERM);

    public override void Destroy()
    {
        _listeners.CloseAll();
        foreach (var f in _open.Values)
            f.Close();
        _open.Clear();
    }
}
