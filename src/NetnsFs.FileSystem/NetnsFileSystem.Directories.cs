using System.Text;
using Mono.Unix.Native;
using NetnsFs.FileSystem.Files;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Protocol;
using NetnsFs.Fuse.Session;

namespace NetnsFs.FileSystem;

/// <summary>Directories: what `ls` shows, and `rm` of a listener.</summary>
public sealed partial class NetnsFileSystem
{
    public override void OpenDir(FuseRequest req, NodeId node, int flags)
    {
        if (_nodes.Find(node) is DirectoryNode)
            OpenListingOf(req); // NetnsFileSystem.Listings.cs
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
        var entries = ListingFor(req, dir, fh, offset); // built once per opendir
        var reply = req.TakeReplyBuffer(size);
        var writer = new DirentWriter(reply.Payload);
        for (long i = offset; i < entries.Count; i++)
        {
            var (name, ino, mode) = entries[(int)i];
            if (!writer.TryAdd(ino, (ulong)(i + 1), mode >> 12, Encoding.UTF8.GetBytes(name)))
                break;
        }
        req.ReplyData(reply, writer.Length);
    }

    /// <summary>What `ls` shows in a directory.</summary>
    private List<(string Name, ulong Ino, uint Mode)> Listing(DirectoryNode dir)
    {
        var list = new List<(string Name, ulong Ino, uint Mode)>(dir.Role == DirectoryRole.Listen ? dir.View!.Listeners.Count + 2 : 8)
        {
            (".", dir.Id.Value, dir.Mode),
            ("..", dir.Parent?.Id.Value ?? dir.Id.Value, Node.S_IFDIR),
        };
        uint file = Node.S_IFREG | _layout.FilePermissions;
        uint sub = Node.S_IFDIR | _layout.DirPermissions;
        switch (dir.Role)
        {
            case DirectoryRole.Root:
                foreach (var n in dir.View!.Entries)
                    list.Add((n.Name, n.Id.Value, n.Mode));
                foreach (var t in Net.Sockets.SocketTriple.Common)
                    list.Add((t, NameIno(t), file));
                break;
            case DirectoryRole.MultiRoot:
                list.Add(("status", NameIno("status"), Node.S_IFREG | 0x124));
                foreach (var v in _namespaces.All)
                    list.Add((v.Name, v.Root.Id.Value, v.Root.Mode));
                break;
            case DirectoryRole.Transport when dir.Transport == "tcp":
            case DirectoryRole.Unix:
                list.Add(("listen", NameIno(dir.Name + "/listen"), sub));
                break;
            case DirectoryRole.Listen:
            case DirectoryRole.UnixListen:
            case DirectoryRole.ListenAddress:
                string prefix = dir.Role == DirectoryRole.ListenAddress ? $"tcp/{dir.Host}/" : dir.Role == DirectoryRole.Listen ? "tcp/" : "unix/";
                var listed = new HashSet<string>(StringComparer.Ordinal); // an address shows once, however many ports it has
                foreach (var (key, _) in dir.View!.Listeners.All)
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
                        if (listed.Add(entry))
                            list.Add((entry, NameIno(key), first == "*" ? file : sub));
                    }
                    else
                        list.Add((rest, NameIno(key), file));
                }
                break;
            case DirectoryRole.Connections:
                foreach (ulong h in _files.SocketsOf(dir.View!))
                    list.Add((h.ToString(System.Globalization.CultureInfo.InvariantCulture), NameIno("conn/" + h), sub));
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

    public override void MkNod(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask) => req.ReplyError(Errno.EPERM);

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
        switch (dir.View!.Listeners.Remove(key, req.Uid))
        {
            case ListenerRegistry.Removal.NotFound:
                req.ReplyError(Errno.ENOENT);
                return;
            case ListenerRegistry.Removal.NotOwner:
                // The sharing model: a listener is its maker's (and root's) to close.
                _log.Warning("rm of listener {Key} refused to pid {Pid} uid {Uid}: not its owner", key, req.Pid, req.Uid);
                req.ReplyError(Errno.EPERM);
                return;
        }
        _log.Information("listener {Key} closed by pid {Pid} uid {Uid}", key, req.Pid, req.Uid);
        if (_nodes.FindChild(dir, text) is { } node)
            _nodes.Detach(node);
        req.ReplyEmpty();
    }

}
