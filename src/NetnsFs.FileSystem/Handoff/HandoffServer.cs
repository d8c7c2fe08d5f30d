using NetnsFs.FileSystem.Access;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.FileSystem.Service;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Readiness;
using NetnsFs.Net.Sockets;
using Serilog;

namespace NetnsFs.FileSystem.Handoff;

/// <summary>The handoff socket of a namespace of a mount: SOCK_SEQPACKET, bound in a run directory (not inside the
/// mount, where a bound socket would pin the mount), owned by the mount's owner with the mount's
/// mode, and reached through the symlink MOUNT/handoff. Each request names a path; the answer is
/// that socket, made inside the namespace, passed by SCM_RIGHTS (see NetnsFs.Client.HandoffWire).
/// Accepting and reading are driven by the readiness engine: no thread of its own. What a path
/// means comes from a <see cref="RecipeResolver"/>, the socket from the <see cref="SocketService"/>:
/// the server knows neither the filesystem nor how sockets are made.</summary>
public sealed class HandoffServer : IReadinessListener, IDisposable
{
    private readonly SocketService _sockets;
    private readonly RecipeResolver _resolve;
    private readonly NamespaceView _view;
    private readonly ReadinessEngine _engine;
    private readonly AccessPolicy _policy;
    private readonly ILogger _log;
    private readonly NetSocket _listener;
    private readonly ulong _key;
    private readonly Lock _lock = new();
    private readonly HashSet<HandoffConnection> _connections = [];
    private bool _disposed;

    internal HandoffServer(string socketPath, SocketService sockets, RecipeResolver resolve, NamespaceView view, MountLayout layout, AccessPolicy policy, ReadinessEngine engine, ILogger log, HandoffConnection.Settings settings)
    {
        Settings = settings;
        _sockets = sockets;
        _resolve = resolve;
        _view = view;
        _engine = engine;
        _policy = policy;
        _log = log.ForContext<HandoffServer>();
        SocketPath = socketPath;
        File.Delete(SocketPath);
        _listener = NetSocket.BindPath(SocketPath, SocketKind.SOCK_SEQPACKET);
        try
        {
            // Owner and mode through an O_NOFOLLOW fd, never by a path that could be a symlink by now.
            HandoffSocketFile.SetOwnerAndMode(_listener.Fd, SocketPath, layout.Uid, layout.Gid, layout.FilePermissions & ModeBits.ReadWrite);
            var e = _listener.Listen(128);
            if (e != 0)
                throw new NetException(e, $"listen {SocketPath}");
            _key = engine.Register(_listener.Fd, this);
        }
        catch
        {
            _listener.Dispose(); // a setup that fails leaks no fd
            throw;
        }
    }

    public string SocketPath { get; }

    /// <summary>Accepts at most <see cref="HandoffConnection.AcceptsPerEvent"/> clients, then lets the
    /// engine serve the other ready fds before it comes back (the listener is edge-triggered, so it
    /// asks to be called again): a crowd of connects cannot hold the one readiness thread.</summary>
    public void OnReadiness(IoEvents events)
    {
        for (int n = 0; n < HandoffConnection.AcceptsPerEvent; n++)
        {
            int fd = _listener.Accept();
            if (fd < 0)
                return;
            var conn = NetSocket.Adopt(fd, _listener.Kind);
            var peer = HandoffPeer.Of(conn); // now: the pidfd and what the peer holds, as near its connect as can be
            lock (_lock)
            {
                if (_disposed)
                {
                    peer.Dispose();
                    conn.Dispose();
                    return;
                }
                _connections.Add(new HandoffConnection(this, conn, peer));
            }
        }
        _engine.Requeue(_key);
    }

    /// <summary>Limits and idle time of its connections.</summary>
    internal HandoffConnection.Settings Settings { get; }

    internal ReadinessEngine Engine => _engine;
    internal ILogger Log => _log;

    internal void Forget(HandoffConnection c)
    {
        lock (_lock)
            _connections.Remove(c);
    }

    /// <summary>Answers one request: checks the caller, resolves the path, makes the socket.</summary>
    internal IDisposable? Serve(HandoffPeer peer, string path, bool nonBlocking, Action<Errno, NetSocket?, string> done)
    {
        var caller = peer.Now();
        if (!_policy.MayUse(caller.Uid, caller.Gid, caller.Pid))
        {
            _log.Warning("handoff {Path} refused to pid {Pid} uid {Uid}: no access to the mount", path, caller.Pid, caller.Uid);
            done(Errno.EACCES, null, "permission denied");
            return null;
        }
        var e = _resolve(_view, path, out var recipe);
        if (e != 0)
        {
            _log.Debug("handoff {Path} for pid {Pid} uid {Uid}: {Errno}", path, caller.Pid, caller.Uid, e);
            done(e, null, $"{path}: {e}");
            return null;
        }
        // A dial waits for its connect: the client gets a connected socket, or the connect's errno;
        // asked non-blocking, it gets the socket with its connect under way, as connect(2) leaves it.
        return _sockets.MakeOwn(_view, recipe!, caller, path, waitForConnect: !nonBlocking, r => done(r.Error, r.Socket, r.Message));
    }

    public void Dispose()
    {
        List<HandoffConnection> open;
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            open = [.. _connections];
            _connections.Clear();
        }
        foreach (var c in open)
            c.Dispose();
        _engine.Unregister(_listener.Fd, _key);
        _listener.Dispose();
        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException e)
        {
            _log.Warning("cannot remove {Path}: {Message}", SocketPath, e.Message);
        }
    }
}
