using System.Collections.Concurrent;
using System.Text;
using NetnsFs.FileSystem.Access;
using NetnsFs.FileSystem.Limits;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Namespaces;
using Serilog;

namespace NetnsFs.FileSystem.Mount;

/// <summary>The namespaces of a mount by name: the one of a single mount (""), or those of a multi
/// mount (-o multi), where `mkdir DIR/NAME` creates one (lo up, from a pool made ahead), `ln -s PATH
/// DIR/NAME` attaches an existing one (/run/netns/X, /proc/PID/ns/net) and `rmdir DIR/NAME`
/// releases it. Each made by mkdir counts among its maker's namespaces until rmdir (or unmount).
/// Creating one costs the kernel's unshare and a table entry: no thread, no lock held while the
/// kernel works, so one namespace never waits for another. Names are checked and taken here; the
/// nodes that show a namespace are the filesystem's.</summary>
public sealed class NamespaceRegistry : IDisposable
{
    private const string RunNetns = "/run/netns/";

    private readonly ConcurrentDictionary<string, NamespaceView> _views = new();
    private readonly ConcurrentDictionary<string, Charge> _charges = new();
    private readonly MountLimits _limits;
    private readonly NamespacePool? _pool;
    private readonly ILogger _log;

    /// <summary>A registry for a single mount (<paramref name="pool"/> null: nothing is made by
    /// mkdir), or a multi mount's with its pool of spare namespaces.</summary>
    public NamespaceRegistry(MountLimits limits, NamespacePool? pool, ILogger log)
    {
        _limits = limits;
        _pool = pool;
        _log = log;
    }

    public int Count => _views.Count;

    /// <summary>Whether a namespace has this name.</summary>
    public bool Contains(string name) => _views.ContainsKey(name);

    public int SpareCount => _pool?.SpareCount ?? 0;

    public IEnumerable<NamespaceView> All => _views.Values;

    /// <summary>Listeners of all namespaces.</summary>
    public int ListenerCount => _views.Values.Sum(v => v.Listeners.Count);

    /// <summary>Names of namespaces: 1-64 of letters, digits, '.', '_', '-', not starting with '.'.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>0 and the name for a new namespace; EINVAL for a name that cannot be one, EEXIST
    /// for one taken (by a namespace, or by the multi mount's status file).</summary>
    public Errno CheckNewName(ReadOnlySpan<byte> name, out string text)
    {
        text = "";
        if (!System.Text.Unicode.Utf8.IsValid(name) || !IsValidName(text = Encoding.UTF8.GetString(name)))
            return Errno.EINVAL;
        if (_views.ContainsKey(text) || text == "status")
            return Errno.EEXIST;
        return 0;
    }

    /// <summary>mkdir: a fresh namespace for <paramref name="uid"/>, counted among its namespaces
    /// under <paramref name="name"/> until <see cref="Remove"/>. By name: the kernel runs mkdir and
    /// rmdir of one directory one at a time, so the name is the namespace's from its mkdir to its rmdir.</summary>
    public Errno Create(string name, uint uid, uint pid, out NetNamespace? ns)
    {
        ns = null;
        if (_pool is null)
            return Errno.EPERM;
        var charge = _limits.Take(Resource.Namespaces, uid, out var refused);
        if (charge is null)
            return refused;
        try
        {
            ns = _pool.Take();
        }
        catch (NetException e)
        {
            charge.Dispose();
            _log.Warning("mkdir {Name} by pid {Pid} uid {Uid}: {Message}", name, pid, uid, e.Message);
            return e.Errno;
        }
        _charges[name] = charge;
        return 0;
    }

    /// <summary>`ln -s PATH DIR/NAME`: the existing namespace at <paramref name="path"/>. The caller
    /// needs CAP_SYS_ADMIN (what setns into a namespace it names needs; uid 0 alone is not enough: a
    /// container's root without its capabilities may not), and PATH is resolved in the caller's root
    /// and opened without blocking (<see cref="AttachTarget"/>). Reads /proc: not for a thread the
    /// kernel waits on.</summary>
    public Errno Attach(string name, string path, uint pid, uint uid, out NetNamespace? ns)
    {
        ns = null;
        if (pid == 0 || !CallerPrivileges.Has((int)pid, uid, AttachTarget.CapSysAdmin))
        {
            _log.Warning("attach {Name} refused to pid {Pid} uid {Uid}: needs CAP_SYS_ADMIN", name, pid, uid);
            return Errno.EPERM;
        }
        try
        {
            // In the caller's root: the daemon lives in its own copy of the mount namespace and
            // does not see /run/netns/X bind mounts made after it started; the caller does, and an
            // absolute symlink in the caller's tree means the caller's file, not the daemon's.
            ns = AttachTarget.Open((int)pid, path);
        }
        catch (NetException e)
        {
            _log.Warning("attach {Name} from {Path} for pid {Pid} uid {Uid}: {Message}", name, path, pid, uid, e.Message);
            return e.Errno;
        }
        _log.Information("namespace {Name} attached from {Path} (inode {Inode})", name, ns.Origin, ns.Inode);
        return 0;
    }

    /// <summary>The /run/netns name a namespace was attached by (for /etc/netns/NAME), or null.</summary>
    public static string? NetnsNameOf(NetNamespace ns) =>
        ns.Origin.StartsWith(RunNetns, StringComparison.Ordinal) ? ns.Origin[RunNetns.Length..] : null;

    public void Add(NamespaceView view) => _views[view.Name] = view;

    /// <summary>rmdir: the name goes, our hold on the namespace goes (<see cref="NamespaceView.Dispose"/>);
    /// sockets made in it live on, and the kernel keeps the namespace as long as they do. Only its
    /// owner and root may (the sharing model: EPERM); ENOENT if there is none by that name.</summary>
    public Errno Remove(string name, uint uid, uint pid, out NamespaceView? removed)
    {
        removed = null;
        if (!_views.TryGetValue(name, out var view))
            return Errno.ENOENT;
        if (!view.IsRemovableBy(uid))
        {
            _log.Warning("rmdir {Name} refused to pid {Pid} uid {Uid}: uid {Owner}'s namespace", name, pid, uid, view.Owner);
            return Errno.EPERM;
        }
        if (!_views.TryRemove(new KeyValuePair<string, NamespaceView>(name, view)))
            return Errno.ENOENT; // removed by a racing rmdir
        if (_charges.TryRemove(name, out var charge))
            charge.Dispose();
        view.Dispose();
        removed = view;
        return 0;
    }

    /// <summary>Unmount: every namespace and the pool released.</summary>
    public void Dispose()
    {
        _pool?.Dispose();
        foreach (var view in _views.Values)
            view.Dispose();
        _views.Clear();
    }
}
