using System.Text;
using NetnsFs.FileSystem.Files;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Protocol;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;

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

    /// <summary>What `ls` shows in a directory: the names the grammar lists, then the live ones
    /// (namespaces, listeners, open sockets). Each with the inode number and mode its lookup gives.</summary>
    private List<(string Name, ulong Ino, uint Mode)> Listing(DirectoryNode dir)
    {
        var list = new List<(string Name, ulong Ino, uint Mode)>(dir.Role == DirectoryRole.Listen ? dir.View!.Listeners.Count + 2 : 8)
        {
            (".", dir.Id.Value, dir.Mode),
            ("..", dir.Parent?.Id.Value ?? dir.Id.Value, Node.S_IFDIR),
        };
        void Add(string name, PathMeaning meaning) => list.Add((name, _nodes.IdFor(dir, name).Value, _factory.ModeOf(meaning)));
        foreach (var (name, meaning) in _grammar.Listed(dir.Meaning))
            Add(name, meaning);
        switch (dir.Meaning)
        {
            case MultiRootDirectory:
                foreach (var v in _namespaces.All)
                    list.Add((v.Name, v.Root.Id.Value, v.Root.Mode));
                break;
            case ListenDirectory or ListenAddressDirectory:
                var listed = new HashSet<string>(StringComparer.Ordinal); // an address shows once, however many ports it has
                foreach (var (key, _) in dir.View!.Listeners.All)
                {
                    if (ListenerKey.TryParse(key, out var k) && PathGrammar.ListsListener(dir.Meaning, k, out string entry) &&
                        listed.Add(entry) && _grammar.Resolve(dir.Meaning, entry, out var meaning) == 0)
                    {
                        Add(entry, meaning!);
                    }
                }
                break;
            case ConnectionsDirectory:
                foreach (ulong h in _files.SocketsOf(dir.View!))
                    Add(h.ToString(System.Globalization.CultureInfo.InvariantCulture), new ConnectionDirectory(h));
                break;
        }
        return list;
    }

    public override void MkNod(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask) => req.ReplyError(Errno.EPERM);

    /// <summary>`rm DIR/tcp/listen/PORT` (and ADDR/PORT, unix/listen/@NAME) closes that listener.</summary>
    public override void Unlink(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name)
    {
        if (_nodes.Find(parent) is not DirectoryNode dir || dir.Meaning is not (ListenDirectory or ListenAddressDirectory))
        {
            req.ReplyError(Errno.EPERM);
            return;
        }
        string text = Encoding.UTF8.GetString(name);
        if (_grammar.Resolve(dir.Meaning, name, out var meaning) != 0 || meaning is not ListenRecipe listen)
        {
            req.ReplyError(Errno.ENOENT); // no listener is ever filed under that name
            return;
        }
        string key = listen.Key.Text;
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
