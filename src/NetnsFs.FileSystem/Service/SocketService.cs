using NetnsFs.FileSystem.Files;
using NetnsFs.FileSystem.Limits;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Identity;
using NetnsFs.Net.Sockets;
using Serilog;

namespace NetnsFs.FileSystem.Service;

/// <summary>The one place where (a namespace, what a path means, who asks) becomes a socket, a
/// listener or an errno, for every front end: FUSE opens, the handoff socket, and any later one.
/// Each request goes the same way: the namespace still there (else ENOENT), the caller's
/// privileges (<see cref="SocketPrivileges"/>), then the listener or the making
/// (<see cref="SocketMaker"/>, with the caller's credentials), with the mount's limits charged
/// where something is kept. Nothing here waits and nothing knows FUSE: results come by callback,
/// exactly once, unless the returned handle is disposed first (the caller was interrupted or went
/// away), which cancels the making and releases its charge.
/// <para>Two entry points, because front ends differ only in who keeps the socket:
/// <see cref="OpenShared"/> for a front end that keeps it in the daemon (a socket file; a listen
/// path is the mount's shared listener, owned by its maker), <see cref="MakeOwn"/> for one that
/// hands it to the caller (a listen path is a listening socket of the caller's own).</para></summary>
public sealed class SocketService
{
    private readonly MountLimits _limits;
    private readonly SocketPrivileges _privileges;
    private readonly ILogger _log;

    public SocketService(MountLimits limits, ILogger log)
    {
        _limits = limits;
        _log = log.ForContext<SocketService>();
        _privileges = new SocketPrivileges(_log);
    }

    /// <summary>For a front end that keeps the socket: counted among <paramref name="caller"/>'s
    /// socket files (<see cref="SocketResult.Charge"/>, EMFILE past the limits). A listen path
    /// answers at once with the mount's listener of that path, made now if there is none (counted
    /// among the caller's listeners), from which the front end accepts and then calls
    /// <see cref="Accepted"/>.</summary>
    /// <param name="path">What the request is named by in logs and messages ("tcp/HOST/PORT", a triple).</param>
    /// <param name="waitForConnect">False: a connect under way is answered at once
    /// (<see cref="SocketResult.Connecting"/>), as with O_NONBLOCK.</param>
    /// <returns>Disposed to cancel (an interrupt); null when answered already.</returns>
    public IDisposable? OpenShared(NamespaceView view, SocketRecipe recipe, Caller caller, string path, bool waitForConnect, Action<SocketResult> done)
    {
        if (Refusal(view, recipe, caller, path) is { } refused)
        {
            done(refused);
            return null;
        }
        if (recipe is ListenRecipe l)
        {
            done(SharedListener(view, l, caller));
            return null;
        }
        var charge = _limits.Take(Resource.SocketFiles, caller.Uid, out var limited);
        if (charge is null)
        {
            done(SocketResult.Refused(limited, "too many socket files (max_sockets)"));
            return null;
        }
        return new Cancellable(Make(view, recipe, caller, path, waitForConnect, charge, done), charge);
    }

    /// <summary>A connection accepted from a shared listener for <paramref name="caller"/>: counted
    /// among its socket files, or closed and refused (EMFILE) past the limits.</summary>
    public SocketResult Accepted(ListenRecipe recipe, Caller caller, NetSocket accepted)
    {
        var charge = _limits.Take(Resource.SocketFiles, caller.Uid, out var limited);
        if (charge is null)
        {
            accepted.Dispose();
            return SocketResult.Refused(limited, "too many socket files (max_sockets)");
        }
        return SocketResult.Made(accepted, $"{recipe.Key} <- {accepted.RemoteAddress()}", charge: charge);
    }

    /// <summary>For a front end that hands the socket to its caller (the handoff; a seccomp
    /// supervisor): nothing is counted, since the daemon keeps nothing. A listen path gives the
    /// caller a listening socket of its own, bound now and not shared with the mount's listener of
    /// the same port (which then must not exist: EADDRINUSE).</summary>
    /// <returns>Disposed to cancel (the caller went away); null when answered already.</returns>
    public IDisposable? MakeOwn(NamespaceView view, SocketRecipe recipe, Caller caller, string path, bool waitForConnect, Action<SocketResult> done)
    {
        if (Refusal(view, recipe, caller, path) is { } refused)
        {
            done(refused);
            return null;
        }
        if (recipe is ListenRecipe l)
        {
            done(OwnListener(view, l, caller));
            return null;
        }
        return Make(view, recipe, caller, path, waitForConnect, null, done);
    }

    /// <summary>Whether answering <paramref name="recipe"/> may wait for the network (a connect, a
    /// name lookup): a front end that must not hold a thread meanwhile arranges to be answered later.
    /// A triple is made at once; a shared listen path waits in the listener, not here.</summary>
    public static bool MayWait(SocketRecipe recipe) => recipe is DialRecipe;

    /// <summary>Whether starting <paramref name="recipe"/> reads files first (the hosts file, for a
    /// HOST that is a name), so that the calling thread had better not be one the kernel waits on.</summary>
    public static bool StartsSlowly(SocketRecipe recipe) =>
        recipe is HostDialRecipe { NeedsLookup: true };

    /// <summary>The namespace and the caller's privileges: null when the request may go on.</summary>
    private SocketResult? Refusal(NamespaceView view, SocketRecipe recipe, Caller caller, string path)
    {
        if (view.Removed)
            return SocketResult.Refused(Errno.ENOENT, "the namespace was removed");
        var denied = _privileges.Check(view.Namespace, recipe, caller, path);
        return denied == 0 ? null : SocketResult.Refused(denied, $"{path}: {denied}");
    }

    private IDisposable Make(NamespaceView view, SocketRecipe recipe, Caller caller, string path, bool waitForConnect, Charge? charge, Action<SocketResult> done) =>
        view.Maker.Make(recipe, caller, waitForConnect, made =>
        {
            if (made.Socket is null)
            {
                _log.Debug("{Path} for {Caller}: {Errno}", path, caller, made.Error);
                charge?.Dispose();
                done(SocketResult.Refused(made.Error, $"{path}: {made.Error}"));
            }
            else
            {
                done(SocketResult.Made(made.Socket, path, made.Connecting, charge));
            }
        });

    /// <summary>The mount's listener of <paramref name="recipe"/>'s path; made for
    /// <paramref name="caller"/>, and counted among its listeners, if there is none.</summary>
    private SocketResult SharedListener(NamespaceView view, ListenRecipe recipe, Caller caller)
    {
        try
        {
            Charge? listening = null;
            var listener = view.Listeners.GetOrCreate(recipe.Key.Text, caller.Uid, () => ListenCharged(view, recipe, caller, out listening), s => ListenerKeyOf(recipe, s));
            if (listening is not null)
                listener.Hold(listening);
            return SocketResult.Shared(listener);
        }
        catch (NetException e)
        {
            _log.Debug("{Path} for {Caller}: {Message}", recipe.Key, caller, e.Message);
            return SocketResult.Refused(e.Errno, e.Message);
        }
    }

    /// <summary>A listening socket made for <paramref name="owner"/>, counted among its listeners (and
    /// the mount's); <paramref name="charge"/> goes to the <see cref="Listener"/> once it exists
    /// (<see cref="Listener.Hold"/>), which releases it when it closes. Refused: EMFILE.</summary>
    private NetSocket ListenCharged(NamespaceView view, ListenRecipe recipe, Caller owner, out Charge? charge)
    {
        charge = _limits.Take(Resource.Listeners, owner.Uid, out var refused);
        if (charge is null)
            throw new NetException(refused, $"listen on {recipe.Key}: too many listeners (max_listeners)");
        try
        {
            return Listen(view, recipe, owner);
        }
        catch
        {
            charge.Dispose();
            charge = null;
            throw;
        }
    }

    private SocketResult OwnListener(NamespaceView view, ListenRecipe recipe, Caller caller)
    {
        try
        {
            var socket = Listen(view, recipe, caller);
            return SocketResult.Made(socket, $"listening on {socket.LocalAddress()}");
        }
        catch (NetException e)
        {
            _log.Debug("{Path} for {Caller}: {Message}", recipe.Key, caller, e.Message);
            return SocketResult.Refused(e.Errno, e.Message);
        }
    }

    private NetSocket Listen(NamespaceView view, ListenRecipe recipe, Caller owner)
    {
        var socket = ListeningSocket.Open(view.Namespace, recipe, owner);
        _log.Information("listening on {Key} ({Address})", recipe.Key, socket.LocalAddress());
        return socket;
    }

    /// <summary>Port 0 listeners are filed under the port the kernel picked.</summary>
    private static string ListenerKeyOf(ListenRecipe recipe, NetSocket bound) => recipe.Key.BoundTo(bound.LocalAddress().Port).Text;

    /// <summary>A making in flight with its charge: cancelling it releases the charge unless the
    /// socket's holder owns it already (<see cref="Charge.Cancel"/>).</summary>
    private sealed class Cancellable(IDisposable making, Charge charge) : IDisposable
    {
        public void Dispose()
        {
            making.Dispose();
            charge.Cancel();
        }
    }
}
