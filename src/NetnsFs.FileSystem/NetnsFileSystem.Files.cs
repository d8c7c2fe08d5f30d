using NetnsFs.FileSystem.Files;
using NetnsFs.FileSystem.Limits;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.FileSystem.Service;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Identity;

namespace NetnsFs.FileSystem;

/// <summary>The FUSE front end of the <see cref="SocketService"/>: OPEN and CREATE of socket files
/// (the socket comes from the service, the file that relays it is made here), text snapshots, and
/// data through open handles (<see cref="Mount.OpenFileTable"/>).</summary>
public sealed partial class NetnsFileSystem
{
    private const int O_NONBLOCK = NetnsFs.Interop.Libc.O_NONBLOCK;

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
            case TextFileNode { Control: not null, Parent: DirectoryNode { Role: DirectoryRole.Connection } ctl } when (flags & 3) != 0 && !_connections.MayControl(ctl.Handle, req.Uid, req.Pid):
                req.ReplyError(Errno.EPERM); // another uid's connection (the sharing model)
                break;
            case TextFileNode { Control: not null, Parent: DirectoryNode { Role: DirectoryRole.Connection } ctl }:
                OpenControl(req, ctl.Handle);
                break;
            case TextFileNode t:
                OpenSnapshot(req, t);
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

    /// <summary>open(O_CREAT) of a name the kernel has no entry for: the socket-triple files'
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

    /// <summary>Answers OPEN, or CREATE when <paramref name="created"/> is the node to report.</summary>
    private void ReplyOpened(FuseRequest req, OpenFile file, SocketFileNode? created)
    {
        _files.Add(file);
        bool ok = created is null
            ? req.ReplyOpen(file.Handle, OpenReplyFlags.StreamFile)
            : FuseSession.ReplyCreate(req, EntryOf(created), file.Handle, OpenReplyFlags.StreamFile);
        if (!ok)
            _files.Remove(file.Handle.Value)?.Close(); // interrupted meanwhile: the kernel will never release this handle
    }

    private void OpenSocket(FuseRequest req, SocketFileNode node, int flags, SocketFileNode? created)
    {
        var view = node.View!;
        var recipe = node.Recipe;
        var caller = CallerOf(req);
        string path = recipe is DialRecipe d ? d.Display : node.Name;
        if (SocketService.StartsSlowly(recipe))
            req.WillTakeLong(); // a name: the hosts file is read before a query is sent
        IDisposable? making = null;
        if (SocketService.MayWait(recipe))
        {
            // Deferred before the making starts: its answer may come from another thread at once.
            req.Defer(r =>
            {
                Volatile.Read(ref making)?.Dispose();
                r.ReplyError(Errno.EINTR);
            });
        }
        // O_NONBLOCK: the open returns while a connect is still under way, as connect(2) does;
        // otherwise the open waits for it (deferred, interruptible, no reader held).
        bool nonBlocking = (flags & O_NONBLOCK) != 0;
        making = _sockets.OpenShared(view, recipe, caller, path, waitForConnect: !nonBlocking, result =>
        {
            if (result.Listener is { } listener)
                AcceptOne(req, listener, (ListenRecipe)recipe, caller, flags, view, created);
            else
                ReplySocket(req, result, view, created);
        });
        if (req.IsAnswered)
            making?.Dispose(); // interrupted before the making could be cancelled
    }

    /// <summary>An open of a listen path: one connection from the mount's listener (at once, or
    /// deferred until a client connects; O_NONBLOCK: EAGAIN), counted among the opener's socket files.</summary>
    private void AcceptOne(FuseRequest req, Listener listener, ListenRecipe recipe, Caller caller, int flags, NamespaceView view, SocketFileNode? created) =>
        listener.Accept(req, caller, flags, (r, accepted) => ReplySocket(r, _sockets.Accepted(recipe, caller, accepted), view, created));

    /// <summary>Answers an open with the service's socket, relayed by a new socket file, or its errno.</summary>
    private void ReplySocket(FuseRequest req, SocketResult result, NamespaceView view, SocketFileNode? created)
    {
        if (result.Failed)
        {
            req.ReplyError(result.Error);
            return;
        }
        if (NewSocketFile(req, view, result) is not { } file)
            return;
        if (result.Connecting)
            file.BeginConnect();
        ReplyOpened(req, file, created);
    }

    /// <summary>The socket file for a socket just made or accepted, or null when it cannot be watched
    /// (epoll_ctl failed: the per-user max_user_watches, memory): then the socket is closed, its
    /// charge released and the request answered with the errno, so nothing leaks and nothing hangs.</summary>
    private SocketFile? NewSocketFile(FuseRequest req, NamespaceView view, SocketResult made)
    {
        var socket = made.Socket!;
        try
        {
            return new(socket, Session, _engine, made.Message)
            {
                Charge = made.Charge?.Own(),
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
            _log.Warning("open {Path} for pid {Pid} uid {Uid}: {Message}", made.Message, req.Pid, req.Uid, e.Message);
            socket.Dispose();
            made.Charge?.Dispose();
            req.ReplyError(e.Errno);
            return null;
        }
    }

    /// <summary>Opens a text snapshot (net/*, conn/N/*, status), counted among the caller's open
    /// snapshots until its release: each holds a copy of a table that may be large.</summary>
    private void OpenSnapshot(FuseRequest req, TextFileNode t)
    {
        if (TakeOrRefuse(req, Resource.Snapshots) is not { } charge)
            return;
        req.WillTakeLong(); // a snapshot: conn/ listings, the namespace's /proc/net tables
        byte[] content;
        try
        {
            content = System.Text.Encoding.UTF8.GetBytes(t.Content(CallerOf(req)));
        }
        catch
        {
            charge.Dispose();
            throw;
        }
        var file = _files.Add(new TextFile(content, t.Control) { Charge = charge });
        req.ReplyOpen(file.Handle, OpenReplyFlags.DirectIo);
    }

    /// <summary>Opens conn/N/ctl: its writes are commands for socket N (<see cref="Control.ControlFile"/>),
    /// answered when done (a connect's later). Counted among the caller's snapshots, as it was as a text file.</summary>
    private void OpenControl(FuseRequest req, ulong handle)
    {
        if (TakeOrRefuse(req, Resource.Snapshots) is not { } charge)
            return;
        var file = _files.Add(new Control.ControlFile(handle, _connections.Commands) { Charge = charge });
        req.ReplyOpen(file.Handle, OpenReplyFlags.DirectIo);
    }

    private OpenFile? FindOpen(FuseRequest req, FileHandle fh)
    {
        if (_files.Find(fh.Value) is { } file)
            return file;
        req.ReplyError(Errno.EBADF);
        return null;
    }

    public override void Read(FuseRequest req, NodeId node, FileHandle fh, long offset, int size, int flags) =>
        FindOpen(req, fh)?.Read(req, offset, size, flags);

    public override void Write(FuseRequest req, NodeId node, FileHandle fh, long offset, ReadOnlySpan<byte> data, int flags)
    {
        if (_files.Find(fh.Value) is { } file)
            file.Write(req, data, flags);
        else
            req.ReplyError(Errno.EBADF);
    }

    public override void Poll(FuseRequest req, NodeId node, FileHandle fh, ulong kh, PollFlags flags, uint events) =>
        FindOpen(req, fh)?.Poll(req, kh, flags, events);

    public override void Release(FuseRequest req, NodeId node, FileHandle fh, int flags)
    {
        _files.Remove(fh.Value)?.Close();
        req.ReplyEmpty();
    }
}
