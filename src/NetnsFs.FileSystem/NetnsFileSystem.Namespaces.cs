using System.Text;
using Mono.Unix.Native;
using NetnsFs.FileSystem.Access;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NetnsFs.Net;
using NetnsFs.Net.Namespaces;

namespace NetnsFs.FileSystem;

/// <summary>A multi mount (-o multi): one daemon, one mount, many namespaces. `mkdir DIR/NAME`
/// creates a namespace (lo up), `rmdir DIR/NAME` releases it; `ln -s PATH DIR/NAME` attaches an
/// existing one (/run/netns/X, /proc/PID/ns/net): NAME then is a namespace directory like the
/// others, not a link. Creating one costs the kernel's unshare and a lookup-table entry: no thread,
/// no lock held while the kernel works, so one namespace never waits for another.</summary>
public sealed partial class NetnsFileSystem
{
    /// <summary>Names of namespaces: 1-64 of letters, digits, '.', '_', '-', not starting with '.'.</summary>
    public static bool IsValidNamespaceName(string name) =>
        name.Length is > 0 and <= 64 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    public override void MkDir(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint umask)
    {
        if (_nodes.Find(parent) is not DirectoryNode { Role: DirectoryRole.MultiRoot } root)
        {
            req.ReplyError(Errno.EPERM);
            return;
        }
        if (!TryNewName(req, name, out string text))
            return;
        if (TakeOrRefuse(req, NetnsFs.FileSystem.Limits.Resource.Namespaces) is not { } counted)
            return;
        NetNamespace ns;
        try
        {
            ns = _pool!.Take();
        }
        catch (NetException e)
        {
            counted.Dispose();
            _log.Warning("mkdir {Name} by pid {Pid} uid {Uid}: {Message}", text, req.Pid, req.Uid, e.Message);
            req.ReplyError(e.Errno);
            return;
        }
        ChargeNamespace(text, counted);
        ReplyNewView(req, root, text, ns, req.Uid);
    }

    /// <summary>`ln -s /run/netns/X DIR/NAME`: attach an existing namespace under NAME. The caller
    /// needs CAP_SYS_ADMIN (what setns into a namespace it names needs; uid 0 alone is not enough: a
    /// container's root without its capabilities may not), and PATH is resolved in the caller's root
    /// and opened without blocking (<see cref="AttachTarget"/>).</summary>
    public override void Symlink(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target)
    {
        if (_nodes.Find(parent) is not DirectoryNode { Role: DirectoryRole.MultiRoot } root)
        {
            req.ReplyError(Errno.EPERM);
            return;
        }
        if (!TryNewName(req, name, out string text))
            return;
        req.WillTakeLong(); // reads /proc for the caller, walks its tree: no reader is held meanwhile
        if (req.Pid == 0 || !CallerPrivileges.Has((int)req.Pid, req.Uid, AttachTarget.CapSysAdmin))
        {
            _log.Warning("attach {Name} refused to pid {Pid} uid {Uid}: needs CAP_SYS_ADMIN", text, req.Pid, req.Uid);
            req.ReplyError(Errno.EPERM);
            return;
        }
        NetNamespace ns;
        string path = Encoding.UTF8.GetString(target);
        try
        {
            // In the caller's root: the daemon lives in its own copy of the mount namespace and
            // does not see /run/netns/X bind mounts made after it started; the caller does, and an
            // absolute symlink in the caller's tree means the caller's file, not the daemon's.
            ns = AttachTarget.Open((int)req.Pid, path);
        }
        catch (NetException e)
        {
            _log.Warning("attach {Name} from {Path} for pid {Pid} uid {Uid}: {Message}", text, path, req.Pid, req.Uid, e.Message);
            req.ReplyError(e.Errno);
            return;
        }
        // The kernel expects a symlink from SYMLINK; it gets one, resolving to the namespace's
        // directory, and the name is that directory from the next lookup on.
        var link = new SymlinkNode(text, root, text);
        _nodes.Add(link);
        _nodes.Detach(link); // the name belongs to the directory, added next
        link.View = AddNamedView(root, text, ns, req.Uid);
        var entry = EntryOf(link);
        entry.EntryValid = 0;
        req.Reply(entry);
        _log.Information("namespace {Name} attached from {Path} (inode {Inode})", text, ns.Origin, ns.Inode);
    }

    private bool TryNewName(FuseRequest req, ReadOnlySpan<byte> name, out string text)
    {
        text = "";
        if (!System.Text.Unicode.Utf8.IsValid(name) || !IsValidNamespaceName(text = Encoding.UTF8.GetString(name)))
        {
            req.ReplyError(Errno.EINVAL);
            return false;
        }
        if (_views.ContainsKey(text) || text == "status")
        {
            req.ReplyError(Errno.EEXIST);
            return false;
        }
        return true;
    }

    private void ReplyNewView(FuseRequest req, DirectoryNode root, string name, NetNamespace ns, uint owner)
    {
        var view = AddNamedView(root, name, ns, owner);
        _nodes.CountLookup(view.Root);
        req.Reply(EntryOf(view.Root));
        _log.Debug("namespace {Name} created (inode {Inode}) by pid {Pid} uid {Uid}", name, ns.Inode, req.Pid, req.Uid);
    }

    private NamespaceView AddNamedView(DirectoryNode root, string name, NetNamespace ns, uint owner)
    {
        var dir = new DirectoryNode(name, root, NamespaceDirectory.Instance, _layout.DirPermissions) { IsPinned = true };
        _nodes.Add(dir);
        string? netnsName = ns.Origin.StartsWith("/run/netns/", StringComparison.Ordinal) ? ns.Origin["/run/netns/".Length..] : null;
        var view = AddView(dir, name, ns, netnsName);
        view.Owner = owner;
        return view;
    }

    /// <summary>`rmdir DIR/NAME`: the name goes, our hold on the namespace goes; sockets made in it
    /// live on (and the kernel keeps the namespace as long as they do).</summary>
    public override void RmDir(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name)
    {
        if (_nodes.Find(parent) is not DirectoryNode { Role: DirectoryRole.MultiRoot })
        {
            req.ReplyError(Errno.EPERM);
            return;
        }
        string text = Encoding.UTF8.GetString(name);
        if (!_views.TryGetValue(text, out var view))
        {
            req.ReplyError(Errno.ENOENT);
            return;
        }
        if (!view.IsRemovableBy(req.Uid))
        {
            // The sharing model: a namespace is its maker's (and root's) to remove.
            _log.Warning("rmdir {Name} refused to pid {Pid} uid {Uid}: uid {Owner}'s namespace", text, req.Pid, req.Uid, view.Owner);
            req.ReplyError(Errno.EPERM);
            return;
        }
        if (!_views.TryRemove(new KeyValuePair<string, NamespaceView>(text, view)))
        {
            req.ReplyError(Errno.ENOENT); // removed by a racing rmdir
            return;
        }
        ReleaseNamespace(text);
        view.Dispose();
        _nodes.Detach(view.Root);
        foreach (var entry in view.Entries)
            _nodes.Detach(entry);
        _log.Debug("namespace {Name} removed by pid {Pid} uid {Uid}", text, req.Pid, req.Uid);
        req.ReplyEmpty();
    }
}
