using System.Text;
using NetnsFs.FileSystem.Mount;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;
using NetnsFs.Net.Namespaces;

namespace NetnsFs.FileSystem;

/// <summary>MKDIR, SYMLINK and RMDIR of a multi mount (-o multi): `mkdir DIR/NAME` creates a
/// namespace, `ln -s PATH DIR/NAME` attaches one, `rmdir DIR/NAME` releases it. What may be done
/// is the <see cref="NamespaceRegistry"/>'s to say; the nodes that show a namespace are made here.</summary>
public sealed partial class NetnsFileSystem
{
    public override void MkDir(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint umask)
    {
        if (_nodes.Find(parent) is not DirectoryNode { Role: DirectoryRole.MultiRoot } root)
        {
            req.ReplyError(Errno.EPERM);
            return;
        }
        if (WatchesPins)
        {
            req.ReplyError(Errno.EPERM); // names are the pins' (one made first would hide a pin)
            return;
        }
        NetNamespace? ns = null;
        var e = _namespaces.CheckNewName(name, out string text);
        if (e == 0)
            e = _namespaces.Create(text, req.Uid, req.Pid, out ns);
        if (e != 0)
        {
            req.ReplyError(e);
            return;
        }
        var view = AddNamedView(root, text, ns!, req.Uid);
        _nodes.CountLookup(view.Root);
        req.Reply(EntryOf(view.Root));
        _log.Debug("namespace {Name} created (inode {Inode}) by pid {Pid} uid {Uid}", text, ns!.Inode, req.Pid, req.Uid);
    }

    /// <summary>`ln -s /run/netns/X DIR/NAME`: attach an existing namespace under NAME
    /// (<see cref="NamespaceRegistry.Attach"/> says who may, and how PATH is found).</summary>
    public override void Symlink(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target)
    {
        if (_nodes.Find(parent) is not DirectoryNode { Role: DirectoryRole.MultiRoot } root)
        {
            req.ReplyError(Errno.EPERM);
            return;
        }
        if (WatchesPins)
        {
            req.ReplyError(Errno.EPERM);
            return;
        }
        var e = _namespaces.CheckNewName(name, out string text);
        if (e != 0)
        {
            req.ReplyError(e);
            return;
        }
        req.WillTakeLong(); // reads /proc for the caller, walks its tree: no reader is held meanwhile
        e = _namespaces.Attach(text, Encoding.UTF8.GetString(target), req.Pid, req.Uid, out var ns);
        if (e != 0)
        {
            req.ReplyError(e);
            return;
        }
        // The kernel expects a symlink from SYMLINK; it gets one, resolving to the namespace's
        // directory, and the name is that directory from the next lookup on.
        var link = new SymlinkNode(text, root, text);
        _nodes.Add(link);
        _nodes.Detach(link); // the name belongs to the directory, added next
        link.View = AddNamedView(root, text, ns!, req.Uid);
        var entry = EntryOf(link);
        entry.EntryValid = 0;
        req.Reply(entry);
    }

    private NamespaceView AddNamedView(DirectoryNode root, string name, NetNamespace ns, uint owner)
    {
        var dir = new DirectoryNode(name, root, NamespaceDirectory.Instance, _layout.DirPermissions) { IsPinned = true };
        _nodes.Add(dir);
        var view = AddView(dir, name, ns, NamespaceRegistry.NetnsNameOf(ns));
        view.Owner = owner;
        return view;
    }

    /// <summary>`rmdir DIR/NAME`: the namespace goes from the registry and its nodes from the
    /// kernel's view; sockets made in it live on.</summary>
    public override void RmDir(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name)
    {
        if (_nodes.Find(parent) is not DirectoryNode { Role: DirectoryRole.MultiRoot })
        {
            req.ReplyError(Errno.EPERM);
            return;
        }
        if (IsPinned(name))
        {
            req.ReplyError(Interop.Errno.EBUSY); // the pin's: it goes when the pin goes
            return;
        }
        var e = _namespaces.Remove(Encoding.UTF8.GetString(name), req.Uid, req.Pid, out var view);
        if (e != 0)
        {
            req.ReplyError(e);
            return;
        }
        _nodes.Detach(view!.Root);
        foreach (var entry in view.Entries)
            _nodes.Detach(entry);
        _log.Debug("namespace {Name} removed by pid {Pid} uid {Uid}", view.Name, req.Pid, req.Uid);
        req.ReplyEmpty();
    }
}
