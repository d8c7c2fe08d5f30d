using NetnsFs.Net.Identity;
using System.Text;
using Mono.Unix.Native;
using NetnsFs.FileSystem.Files;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NetnsFs.Net;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem;

/// <summary>Opening socket files and moving data through open handles.</summary>
public sealed partial class NetnsFileSystem
{
    private const int O_NONBLOCK = 0x800;

    public override void Open(FuseRequest req, NodeId node, int flags)
    {
        switch (_nodes.Find(node))
        {
            case SocketFileNode s:
                OpenSocket(req, s, flags, null);
                break;
            case TextFileNode { Parent: DirectoryNode { Role: DirectoryRole.Connection } conn } when !Exists(conn.Handle):
                req.ReplyError(Errno.ENOENT); // the socket closed since the lookup
                break;
            case TextFileNode { Control: not null, Parent: DirectoryNode { Role: DirectoryRole.Connection } ctl } when (flags & 3) != 0 && !MayControl(ctl.Handle, req.Uid, req.Pid):
                req.ReplyError(Errno.EPERM); // another uid's connection (the sharing model)
                break;
            case TextFileNode t:
                OpenSnapshot(req, t); // counted: NetnsFileSystem.Limits.cs
                break;
            case DirectoryNode:
                req.ReplyError(Errno.EISDIR);
                break;
            case null:
                req.ReplyError(Errno.ENOENT);
                break;
            default:
                req.ReplyError(Errno.EINVAL);
                break;
        }
    }

    /// <summary>open(O_CREAT) of a name the kernel has no entry for: the seed's
    /// open("DIR/inet;stream;tcp", O_RDWR|O_CREAT, 0777). Only names the grammar knows can be made.</summary>
    public override void Create(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, int flags, uint mode, uint umask)
    {
        if (_nodes.Find(parent) is not DirectoryNode dir)
        {
            req.ReplyError(Errno.ENOTDIR);
            return;
        }
        var e = LookupChild(dir, name, out var node);
        if (e != 0)
        {
            LogRefusal(req, dir, name, e);
            req.ReplyError(e == Errno.ENOENT ? Errno.EACCES : e);
            return;
        }
        if (node is not SocketFileNode s)
        {
            _nodes.Forget(node!.Id, 1);
            req.ReplyError(Errno.EEXIST);
            return;
        }
        OpenSocket(req, s, flags, s);
    }

    private OpenFile AddOpen(OpenFile file)
    {
        file.Handle = new FileHandle((ulong)Interlocked.Increment(ref _nextHandle));
        _open[file.Handle.Value] = file;
        return file;
    }

    /// <summary>Answers OPEN, or CREATE when <paramref name="created"/> is the node to report.</summary>
    private void ReplyOpened(FuseRequest req, OpenFile file, SocketFileNode? created)
    {
        AddOpen(file);
        bool ok = created is null
            ? req.ReplyOpen(file.Handle, OpenReplyFlags.StreamFile)
            : FuseSession.ReplyCreate(req, EntryOf(created), file.Handle, OpenReplyFlags.StreamFile);
        if (!ok)
        {
            // Interrupted meanwhile: the kernel will never release this handle.
            _open.TryRemove(file.Handle.Value, out _);
            file.Close();
        }
    }

    private void OpenSocket(FuseRequest req, SocketFileNode node, int flags, SocketFileNode? created)
    {
        var view = node.View!;
        if (view.Removed)
        {
            req.ReplyError(Errno.ENOENT); // its namespace was removed (rmdir) meanwhile
            return;
        }
        var caller = CallerOf(req);
        var denied = CheckPrivileges(view, node.Recipe, caller, node.Name);
        if (denied != 0)
        {
            req.ReplyError(denied);
            return;
        }
        if (node.Recipe is ListenRecipe l)
        {
            Listener listener;
            try
            {
                Limits.Charge? listening = null;
                listener = view.Listeners.GetOrCreate(l.Key.Text, caller.Uid, () => ListenCharged(view, l, caller, out listening), s => ListenerKeyOf(l, s));
                if (listening is not null)
                    listener.Hold(listening);
            }
            catch (NetException ex)
            {
                _log.Debug("open {Path} for pid {Pid} uid {Uid}: {Message}", l.Key, req.Pid, req.Uid, ex.Message);
                req.ReplyError(ex.Errno);
                return;
            }
            listener.Accept(req, caller, flags, (r, accepted) =>
            {
                if (TakeAccepted(r, accepted) is { } counted && NewSocketFile(r, view, accepted, $"{l.Key} <- {accepted.RemoteAddress()}", counted) is { } file)
                    ReplyOpened(r, file, created);
            });
            return;
        }
        // O_NONBLOCK: the open returns while a connect is still under way, as connect(2) does;
        // otherwise the open waits for it (deferred, interruptible, no reader held).
        bool nonBlocking = (flags & O_NONBLOCK) != 0;
        if (node.Recipe is HostDialRecipe { NeedsLookup: true })
            req.WillTakeLong(); // a name: the hosts file is read before a query is sent
        string description = node.Recipe is DialRecipe d ? d.Display : node.Name;
        IDisposable? making = null;
        if (TakeOrRefuse(req, NetnsFs.FileSystem.Limits.Resource.SocketFiles) is not { } charge)
            return;
        if (node.Recipe is not TripleRecipe)
        {
            // Deferred before the making starts: its answer may come from another thread at once.
            req.Defer(r =>
            {
                Volatile.Read(ref making)?.Dispose();
                charge.Cancel();
                r.ReplyError(Errno.EINTR);
            });
        }
        making = view.Maker.Make(node.Recipe, caller, waitForConnect: !nonBlocking, made =>
        {
            if (made.Socket is null)
            {
                _log.Debug("open {Path} for pid {Pid} uid {Uid}: {Errno}", description, req.Pid, req.Uid, made.Error);
                charge.Dispose();
                req.ReplyError(made.Error);
                return;
            }
            if (NewSocketFile(req, view, made.Socket, description, charge) is not { } file)
                return;
            if (made.Connecting)
                file.BeginConnect();
            ReplyOpened(req, file, created);
        });
        if (req.IsAnswered)
        {
            making.Dispose(); // interrupted before the making could be cancelled
            charge.Cancel();
        }
    }

    /// <summary>The socket file for a socket just made or accepted, or null when it cannot be watched
    /// (epoll_ctl failed: the per-user max_user_watches, memory): then the socket is closed, its
    /// charge released and the request answered with the errno, so nothing leaks and nothing hangs.</summary>
    private SocketFile? NewSocketFile(FuseRequest req, NamespaceView view, NetSocket socket, string description, Limits.Charge charge)
    {
        try
        {
            return new(socket, Session, _engine, description)
            {
                Charge = charge.Own(),
                Limits = Limits,
                OpenerProcess = Paths.ProcessAncestry.ProcessOf(req.Pid),
                OpenerUid = req.Uid,
                View = view,
                WriteBehind = _writeBehind,
                Log = _log,
            };
        }
        catch (NetException e)
        {
            _log.Warning("open {Path} for pid {Pid} uid {Uid}: {Message}", description, req.Pid, req.Uid, e.Message);
            socket.Dispose();
            charge.Dispose();
            req.ReplyError(e.Errno);
            return null;
        }
    }

    /// <summary>The caller of a FUSE request, with the groups and capabilities its thread holds now.</summary>
    private static Caller CallerOf(FuseRequest req) => Caller.OfThread((int)req.Pid, req.Uid, req.Gid);

    /// <summary>socket, bind, listen inside the namespace, as <paramref name="owner"/> (the kernel
    /// checks a low port against the caller). "All addresses" is one dual-stack IPv6 socket; where
    /// the namespace has no IPv6 it falls back to 0.0.0.0.</summary>
    private NetSocket Listen(NamespaceView view, ListenRecipe recipe, Caller owner)
    {
        var bind = recipe.Bind;
        var kind = recipe.Kind;
        NetSocket socket;
        try
        {
            socket = NetSocket.Create(view.Namespace, kind, owner);
        }
        catch (NetException e) when (recipe.DualStack && e.Errno == Errno.EAFNOSUPPORT)
        {
            bind = SockAddr.FromIp(System.Net.IPAddress.Any, recipe.Bind.Port);
            socket = NetSocket.Create(view.Namespace, kind with { Family = SocketKind.AF_INET }, owner);
        }
        if (socket.Kind.Family != SocketKind.AF_UNIX)
            socket.SetOption(1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, 1);
        if (recipe.DualStack && socket.Kind.Family == SocketKind.AF_INET6)
            socket.SetOption(41 /* IPPROTO_IPV6 */, 26 /* IPV6_V6ONLY */, 0);
        var e2 = socket.BindAndListen(in bind, 4096, owner);
        if (e2 != 0)
        {
            socket.Dispose();
            throw new NetException(e2, $"listen on {recipe.Key}: {e2}");
        }
        _log.Information("listening on {Key} ({Address})", recipe.Key, socket.LocalAddress());
        return socket;
    }

    /// <summary>Port 0 listeners are filed under the port the kernel picked.</summary>
    private static string ListenerKeyOf(ListenRecipe recipe, NetSocket bound) => recipe.Key.BoundTo(bound.LocalAddress().Port).Text;

    private OpenFile? FindOpen(FuseRequest req, FileHandle fh)
    {
        if (_open.TryGetValue(fh.Value, out var file))
            return file;
        req.ReplyError(Errno.EBADF);
        return null;
    }

    public override void Read(FuseRequest req, NodeId node, FileHandle fh, long offset, int size, int flags) =>
        FindOpen(req, fh)?.Read(req, offset, size, flags);

    public override void Write(FuseRequest req, NodeId node, FileHandle fh, long offset, ReadOnlySpan<byte> data, int flags)
    {
        if (_open.TryGetValue(fh.Value, out var file))
            file.Write(req, data, flags);
        else
            req.ReplyError(Errno.EBADF);
    }

    public override void Poll(FuseRequest req, NodeId node, FileHandle fh, ulong kh, PollFlags flags, uint events) =>
        FindOpen(req, fh)?.Poll(req, kh, flags, events);

    public override void Release(FuseRequest req, NodeId node, FileHandle fh, int flags)
    {
        if (_open.TryRemove(fh.Value, out var file))
            file.Close();
        req.ReplyEmpty();
    }
}
