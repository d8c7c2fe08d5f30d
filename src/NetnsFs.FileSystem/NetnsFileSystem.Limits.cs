using NetnsFs.Net.Identity;
using System.Collections.Concurrent;
using System.Text;
using Mono.Unix.Native;
using NetnsFs.FileSystem.Files;
using NetnsFs.FileSystem.Limits;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NetnsFs.Net;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem;

/// <summary>Where the mount's limits (<see cref="MountLimits"/>) are applied: each resource is
/// charged where it is made and released exactly once where it goes (a charge is idempotent).</summary>
public sealed partial class NetnsFileSystem
{
    private readonly ConcurrentDictionary<string, Charge> _namespaceCharges = new();

    internal MountLimits Limits => _settings.Limits;

    /// <summary>A charge for one <paramref name="r"/> of the caller; null when a cap refuses, and
    /// the request is answered with the limit's errno (the limits log it).</summary>
    private Charge? TakeOrRefuse(FuseRequest req, Resource r)
    {
        var charge = Limits.Take(r, req.Uid, out var refused);
        if (charge is null)
            req.ReplyError(refused);
        return charge;
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
            content = Encoding.UTF8.GetBytes(t.Content(CallerOf(req)));
        }
        catch
        {
            charge.Dispose();
            throw;
        }
        var file = AddOpen(new TextFile(content, t.Control) { Charge = charge });
        req.ReplyOpen(file.Handle, OpenReplyFlags.DirectIo);
    }

    /// <summary>A listener made for <paramref name="owner"/>, counted among its listeners (and
    /// the mount's); <paramref name="charge"/> goes to the <see cref="Listener"/> once it exists
    /// (<see cref="Listener.Hold"/>), which releases it when it closes. Refused: EMFILE.</summary>
    private NetSocket ListenCharged(NamespaceView view, ListenRecipe recipe, Caller owner, out Charge? charge)
    {
        charge = Limits.Take(Resource.Listeners, owner.Uid, out var refused);
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

    /// <summary>A namespace made by mkdir, counted for its maker until rmdir (or unmount). By name:
    /// the kernel runs mkdir and rmdir of one directory one at a time, so the name is the
    /// namespace's from its mkdir to its rmdir.</summary>
    private void ChargeNamespace(string name, Charge charge) => _namespaceCharges[name] = charge;

    private void ReleaseNamespace(string name)
    {
        if (_namespaceCharges.TryRemove(name, out var charge))
            charge.Dispose();
    }

    /// <summary>An accepted connection for an open of a listen path: counted among the opener's
    /// socket files, or closed and the open refused (EMFILE) when a cap is reached.</summary>
    private Charge? TakeAccepted(FuseRequest req, NetSocket accepted)
    {
        var charge = TakeOrRefuse(req, Resource.SocketFiles);
        if (charge is null)
            accepted.Dispose();
        return charge;
    }

    /// <summary>The mount-wide limits' status lines.</summary>
    private string LimitsStatus => Limits.Status;
}
