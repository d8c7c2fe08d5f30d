using NetnsFs.Net.Identity;
using System.Net;
using Mono.Unix.Native;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Net;
using NetnsFs.Net.Names;
using NetnsFs.Net.Namespaces;
using NetnsFs.Net.Readiness;
using NetnsFs.Net.Sockets;
using Serilog;

namespace NetnsFs.FileSystem.Files;

/// <summary>Makes the socket a path names, inside the namespace, for either transport (a socket
/// file or a handed-over fd): a fresh socket for a triple; for a dial path, a name lookup inside
/// the namespace if HOST is a name, then a connect. Nothing here waits: results come by callback,
/// exactly once, unless the returned handle is disposed first (the caller was interrupted).</summary>
public sealed class SocketMaker(NetNamespace ns, ReadinessEngine engine, Func<ResolverConfig> resolver, ILogger log)
{
    /// <summary>The outcome: a socket (connected, or still connecting when <c>waitForConnect</c> was
    /// false and <paramref name="Connecting"/> says so), or an errno.</summary>
    public readonly record struct Made(Errno Error, NetSocket? Socket, bool Connecting);

    /// <summary>Starts making a socket as <paramref name="caller"/>; <paramref name="done"/> gets the result. When <paramref name="waitForConnect"/>
    /// is false, a connect that is under way is returned at once (O_NONBLOCK opens).</summary>
    public IDisposable Make(SocketRecipe recipe, Caller caller, bool waitForConnect, Action<Made> done)
    {
        var op = new Operation(done);
        switch (recipe)
        {
            case TripleRecipe t:
                op.Complete(Create(t.Kind, caller));
                break;
            case AddressDialRecipe d:
                Connect(op, d.Kind, d.Target, caller, waitForConnect);
                break;
            case HostDialRecipe d when HostName.TryResolve(d.Host, out var literal) == 0:
                ConnectTo(op, d, literal, caller, waitForConnect);
                break;
            case HostDialRecipe d:
                op.Attach(DnsLookup.Start(ns, engine, resolver(), d.Host, (e, address) =>
                {
                    if (e != 0)
                    {
                        log.Debug("{Path}: cannot resolve {Host} inside the namespace: {Errno}", d.Display, d.Host, e);
                        op.Complete(new Made(e, null, false));
                    }
                    else
                        ConnectTo(op, d, address!, caller, waitForConnect);
                }, log));
                break;
            default: // a listen recipe: listeners are made by the registry or the handoff, not here
                op.Complete(new Made(Errno.EINVAL, null, false));
                break;
        }
        return op;
    }

    private Made Create(SocketKind kind, Caller caller)
    {
        try
        {
            return new Made(0, NetSocket.Create(ns, kind, caller), false);
        }
        catch (NetException e)
        {
            log.Debug("socket: {Message}", e.Message);
            return new Made(e.Errno, null, false);
        }
    }

    private void ConnectTo(Operation op, HostDialRecipe d, IPAddress address, Caller caller, bool wait)
    {
        var target = SockAddr.FromIp(address, d.Port);
        Connect(op, d.Kind with { Family = target.Family }, target, caller, wait);
    }

    private void Connect(Operation op, SocketKind kind, SockAddr target, Caller caller, bool wait)
    {
        var made = Create(kind, caller);
        if (made.Socket is not { } socket)
        {
            op.Complete(made);
            return;
        }
        if (!wait)
        {
            var e = socket.Connect(in target, caller);
            if (e is 0 or Errno.EINPROGRESS)
                op.Complete(new Made(0, socket, e == Errno.EINPROGRESS));
            else
            {
                socket.Dispose();
                op.Complete(new Made(e, null, false));
            }
            return;
        }
        op.Own(socket);
        op.Attach(ConnectWaiter.Start(socket, in target, engine, caller, e =>
        {
            if (e == 0)
                op.Complete(new Made(0, socket, false));
            else
            {
                socket.Dispose();
                op.Complete(new Made(e, null, false));
            }
        }));
    }

    /// <summary>One making in flight: completes once; disposing it cancels and frees what it holds.</summary>
    private sealed class Operation(Action<Made> done) : IDisposable
    {
        private readonly Lock _lock = new();
        private IDisposable? _step;
        private NetSocket? _owned;
        private bool _over;

        public void Attach(IDisposable step)
        {
            lock (_lock)
            {
                if (_over)
                    step.Dispose();
                else
                    _step = step;
            }
        }

        /// <summary>A socket that is closed if the making is cancelled before it is delivered.</summary>
        public void Own(NetSocket socket)
        {
            lock (_lock)
            {
                if (!_over)
                    _owned = socket;
            }
        }

        public void Complete(Made made)
        {
            lock (_lock)
            {
                if (_over)
                {
                    made.Socket?.Dispose();
                    return;
                }
                _over = true;
                _owned = null;
            }
            done(made);
        }

        public void Dispose()
        {
            lock (_lock)
            {
                if (_over)
                    return;
                _over = true;
                _step?.Dispose();
                _owned?.Dispose();
            }
        }
    }
}
