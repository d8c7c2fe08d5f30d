using System.Net;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Identity;
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
    public IOperation Make(SocketRecipe recipe, Caller caller, bool waitForConnect, Action<Made> done)
    {
        var op = new Completion<Made>(done, Discard);
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
                    {
                        ConnectTo(op, d, address!, caller, waitForConnect);
                    }
                }, log));
                break;
            default: // a listen recipe: listeners are made by the registry or the handoff, not here
                op.Complete(new Made(Errno.EINVAL, null, false));
                break;
        }
        return op;
    }

    /// <summary>Looks <paramref name="name"/> up inside the namespace as a dial path's HOST is (its
    /// hosts file, then its nameservers), for a socket that connects later (conn/N/ctl's connect);
    /// <paramref name="done"/> gets the address or the errno, once, unless the handle is disposed first.</summary>
    public IOperation Lookup(string name, Action<Errno, IPAddress?> done) => DnsLookup.Start(ns, engine, resolver(), name, done, log);

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

    private void ConnectTo(Completion<Made> op, HostDialRecipe d, IPAddress address, Caller caller, bool wait)
    {
        var target = SockAddr.FromIp(address, d.Port);
        Connect(op, d.Kind with { Family = target.Family }, target, caller, wait);
    }

    private void Connect(Completion<Made> op, SocketKind kind, SockAddr target, Caller caller, bool wait)
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
            {
                op.Complete(new Made(0, socket, e == Errno.EINPROGRESS));
            }
            else
            {
                socket.Dispose();
                op.Complete(new Made(e, null, false));
            }
            return;
        }
        var waiter = ConnectWaiter.Start(socket, in target, engine, caller, e =>
        {
            if (e == 0)
            {
                op.Complete(new Made(0, socket, false));
            }
            else
            {
                socket.Dispose();
                op.Complete(new Made(e, null, false));
            }
        });
        // Attached and owned once its start returned: cancelled meanwhile (an interrupt while the
        // lookup's answer started it on the readiness thread), the wait is dropped and then the
        // socket closed, here, not under the connect's feet; cancelled later, in the same order.
        op.Attach(waiter);
        op.Own(socket);
    }

    /// <summary>A made socket that nobody takes (the open was interrupted first) is closed.</summary>
    private static void Discard(Made made) => made.Socket?.Dispose();
}
