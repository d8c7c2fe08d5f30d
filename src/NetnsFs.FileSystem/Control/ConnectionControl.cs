using System.Net;
using System.Text;
using NetnsFs.FileSystem.Files;
using NetnsFs.FileSystem.Mount;
using NetnsFs.FileSystem.Paths;
using NetnsFs.FileSystem.Service;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Identity;
using NetnsFs.Net.Readiness;
using NetnsFs.Net.Sockets;
using Serilog;

namespace NetnsFs.FileSystem.Control;

/// <summary>Applies a command written to conn/N/ctl (<see cref="ControlCommand"/>) to socket N,
/// with the writer's credentials (read from its thread at the write, as an open reads them), and
/// answers the write: its length when the command is done, else its errno (the kernel's, or
/// EINVAL for a command that cannot be). Who may write was settled at the open of ctl (the
/// sharing model: the connection's owner, or root).</summary>
public sealed class ConnectionControl(OpenFileTable files, ILogger log)
{
    private const int O_NONBLOCK = Libc.O_NONBLOCK;

    private readonly SocketPrivileges _privileges = new(log);

    /// <summary>Runs the command in <paramref name="data"/> (one per write; surrounding white space
    /// does not count) for the ctl of <paramref name="handle"/>, and answers <paramref name="req"/>.
    /// <paramref name="flags"/> are the write's: with O_NONBLOCK a connect under way answers EINPROGRESS.</summary>
    public void Apply(FuseRequest req, ulong handle, ReadOnlySpan<byte> data, int flags)
    {
        if (files.FindSocket(handle) is not { } socket)
        {
            req.ReplyError(Errno.EBADF);
            return;
        }
        string text = Encoding.UTF8.GetString(data).Trim();
        var e = ControlCommand.TryParse(text, socket.Socket.Kind.Family, out var command, out string why);
        if (e != 0)
        {
            log.Debug("conn/{Handle}/ctl: {Command} refused to pid {Pid} uid {Uid}: {Why}", handle, text, req.Pid, req.Uid, why);
            req.ReplyError(e);
            return;
        }
        uint written = (uint)data.Length;
        if (command.Verb == ControlVerb.Shutdown)
        {
            Answer(req, written, socket.Shutdown(command.How), handle, command);
            return;
        }
        var caller = Caller.OfThread((int)req.Pid, req.Uid, req.Gid);
        switch (command.Verb)
        {
            case ControlVerb.Connect:
                Connect(req, socket, command, caller, (flags & O_NONBLOCK) != 0, written, handle);
                break;
            case ControlVerb.Bind:
                Answer(req, written, Bind(socket, command.Address!, caller, reuseAddress: false, handle), handle, command);
                break;
            case ControlVerb.Announce:
                Answer(req, written, Announce(socket, command.Address, caller, handle), handle, command);
                break;
            default:
                Answer(req, written, socket.Listen(caller), handle, command);
                break;
        }
    }

    /// <summary>Answers the write: its length, or the errno, logged (one Debug line, with <paramref name="why"/> if known).</summary>
    private void Answer(FuseRequest req, uint written, Errno e, ulong handle, ControlCommand command, string? why = null)
    {
        if (e == 0)
        {
            req.ReplyWrite(written);
            return;
        }
        log.Debug("conn/{Handle}/ctl: {Command} for pid {Pid} uid {Uid}: {Errno} {Why}", handle, command, req.Pid, req.Uid, e, why ?? "");
        req.ReplyError(e);
    }

    private void Connect(FuseRequest req, SocketFile socket, ControlCommand command, Caller caller, bool nonBlocking, uint written, ulong handle)
    {
        if (command.Address is HostControlAddress name)
        {
            ConnectByName(req, socket, name, command, caller, nonBlocking, written, handle);
            return;
        }
        if (command.Address is PathControlAddress path && socket.Socket.Kind.Family == SocketKind.AF_UNIX)
        {
            ConnectByPath(req, socket, path, command, caller, nonBlocking, written, handle);
            return;
        }
        var e = command.Address!.TryToSockAddr(socket.Socket.Kind.Family, out var target);
        if (e != 0)
            Answer(req, written, e, handle, command);
        else
            socket.Connect(req, in target, caller, nonBlocking, written);
    }

    /// <summary>connect to a unix socket by path, found in the writer's root as the writer
    /// (<see cref="UnixSocketPath"/>). A unix connect ends at once (or EAGAIN: the listener's
    /// backlog is full), so the O_PATH fd it goes through is closed as soon as it returns.</summary>
    private void ConnectByPath(FuseRequest req, SocketFile socket, PathControlAddress path, ControlCommand command, Caller caller, bool nonBlocking, uint written, ulong handle)
    {
        int opath;
        try
        {
            opath = UnixSocketPath.Open((int)req.Pid, path.Path, caller);
        }
        catch (NetException x)
        {
            Answer(req, written, x.Errno, handle, command, x.Message);
            return;
        }
        try
        {
            var target = UnixSocketPath.Through(opath);
            socket.Connect(req, in target, caller, nonBlocking, written);
        }
        finally
        {
            _ = Libc.close(opath);
        }
    }

    /// <summary>connect to a name: looked up inside the namespace first, as tcp/HOST/PORT's HOST is
    /// (its hosts file, then its nameservers; ENOENT for no such name, ETIMEDOUT for no answer).
    /// The write is deferred from the start; an interrupt cancels the lookup, or leaves the connect
    /// that followed it to go on unanswered.</summary>
    private void ConnectByName(FuseRequest req, SocketFile socket, HostControlAddress name, ControlCommand command, Caller caller, bool nonBlocking, uint written, ulong handle)
    {
        if (socket.View is not { Removed: false } view)
        {
            Answer(req, written, Errno.ENOENT, handle, command); // the namespace was removed (rmdir)
            return;
        }
        req.WillTakeLong(); // the hosts file is read before a query is sent
        var lookup = new Completion<(Errno Error, IPAddress? Address)>(found =>
        {
            if (found.Error != 0)
            {
                Answer(req, written, found.Error, handle, command);
                return;
            }
            var e = new IpControlAddress(found.Address, name.Port).TryToSockAddr(socket.Socket.Kind.Family, out var target);
            if (e != 0)
                Answer(req, written, e, handle, command);
            else
                socket.Connect(req, in target, caller, nonBlocking, written, deferred: true);
        });
        req.Defer(r =>
        {
            lookup.Dispose();
            socket.AbandonConnect(r);
        });
        try
        {
            lookup.Attach(view.Maker.Lookup(name.Host, (e, address) => lookup.Complete((e, address))));
        }
        catch (NetException x)
        {
            lookup.Complete((x.Errno, null));
        }
    }

    /// <summary>announce: a listener's bind (with SO_REUSEADDR, as tcp/listen/ has), then listen. A
    /// socket that cannot listen is refused before it is bound (EOPNOTSUPP, what listen(2) says).</summary>
    private Errno Announce(SocketFile socket, ControlAddress? address, Caller caller, ulong handle)
    {
        if (socket.Socket.Kind.Type is not (SocketKind.SOCK_STREAM or SocketKind.SOCK_SEQPACKET))
            return Errno.EOPNOTSUPP;
        if (address is not null)
        {
            var e = Bind(socket, address, caller, reuseAddress: true, handle);
            if (e != 0)
                return e;
        }
        return socket.Listen(caller);
    }

    /// <summary>bind as the caller, after the daemon's own check of a low port (SocketPrivileges,
    /// as for a listen path): the kernel checks again with the caller's credentials.</summary>
    private Errno Bind(SocketFile socket, ControlAddress address, Caller caller, bool reuseAddress, ulong handle)
    {
        if (address is PathControlAddress)
            return Errno.EINVAL; // a path would be made in the daemon's filesystem: abstract names only
        var e = address.TryToSockAddr(socket.Socket.Kind.Family, out var local);
        if (e != 0)
            return e;
        e = Privileged(socket, in local, caller, handle);
        return e != 0 ? e : socket.Bind(in local, caller, reuseAddress);
    }

    /// <summary>The daemon's check of a port below the namespace's ip_unprivileged_port_start
    /// (EACCES without CAP_NET_BIND_SERVICE), logged with the caller; 0 for port 0 and unix names.</summary>
    private Errno Privileged(SocketFile socket, in SockAddr local, Caller caller, ulong handle)
    {
        if (local.Port == 0 || socket.View is not { } view)
            return 0;
        var kind = socket.Socket.Kind;
        var transport = kind.Type == SocketKind.SOCK_DGRAM ? TransportTable.Udp : TransportTable.Tcp;
        var asListen = new ListenRecipe(kind, local, ListenerKey.OnPort(transport, ListenerKey.AllAddresses, local.Port), DualStack: false);
        try
        {
            return _privileges.Check(view.Namespace, asListen, caller, $"conn/{handle}/ctl bind {local}");
        }
        catch (NetException x)
        {
            return x.Errno; // the namespace was removed meanwhile
        }
    }
}
