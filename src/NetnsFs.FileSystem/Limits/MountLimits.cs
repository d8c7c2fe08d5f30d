using System.Globalization;
using NetnsFs.Interop;
using Serilog;

namespace NetnsFs.FileSystem.Limits;

/// <summary>What each user, and the mount as a whole, may make the root daemon hold
/// (<see cref="Resource"/>): without caps any mount user could grow the daemon's memory and fds
/// until the OOM killer or EMFILE stops every user. Each resource has a per-uid cap (not applied
/// to uid 0) and a per-mount cap (applied to all, root included: it stands for what the daemon can
/// hold, sized from its fd limit). A refusal answers an errno a program expects for that shortage
/// (<see cref="ErrnoOf"/>), counts in `status` (refused_*), and is logged, one line per resource
/// per <see cref="LogInterval"/> at most, so the refusals cannot flood the log either.</summary>
public sealed class MountLimits
{
    /// <summary>Option and status names, in <see cref="Resource"/> order.</summary>
    public static readonly IReadOnlyList<string> Names = ["sockets", "listeners", "handoffs", "namespaces", "snapshots", "held"];

    /// <summary>Per uid: generous for one program, far below what would hurt a shared daemon.</summary>
    public static readonly IReadOnlyList<long> DefaultPerUid = [4096, 256, 64, 64, 64, 64L << 20];

    /// <summary>fds the daemon keeps for itself (/dev/fuse, epoll, the runtime, DNS sockets, ...).</summary>
    public const long ReservedFds = 256;

    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly UidCounter[] _counters;
    private readonly ILogger _log;
    private readonly LogThrottle[] _throttles; // one refusal line per resource per LogInterval

    public MountLimits(IReadOnlyList<long> perUid, IReadOnlyList<long> perMount, ILogger log)
    {
        int n = Names.Count;
        if (perUid.Count != n || perMount.Count != n)
            throw new ArgumentException("one cap per resource");
        _counters = new UidCounter[n];
        for (int i = 0; i < n; i++)
            _counters[i] = new UidCounter(perUid[i], perMount[i]);
        _log = log.ForContext<MountLimits>();
        _throttles = new LogThrottle[n];
        for (int i = 0; i < n; i++)
            _throttles[i] = new LogThrottle(LogInterval);
    }

    /// <summary>The defaults for a daemon whose soft fd limit is <paramref name="fdLimit"/>: the
    /// per-mount caps of fd-holding resources are what the daemon can hold, together under that
    /// limit with <see cref="ReservedFds"/> to spare (socket files five eighths of it, listeners an
    /// eighth, handoff connections a sixteenth, namespaces, which hold an fd and maybe a handoff
    /// socket each, a sixteenth): the per-uid caps keep any one user to a part of it, and root, a
    /// multi mount's thousand namespaces, say, gets what the fds allow. Snapshots and held data,
    /// which cost memory only, are capped at four users' worth; <paramref name="overrides"/> (option name to value, "mount_NAME" for a
    /// per-mount cap, held data in MiB) replace any of them.</summary>
    public static MountLimits ForFdLimit(long fdLimit, IReadOnlyDictionary<string, ulong>? overrides, ILogger log)
    {
        long budget = Math.Max(64, fdLimit - ReservedFds);
        var perUid = DefaultPerUid.ToArray();
        long[] perMount =
        [
            budget * 5 / 8,
            budget / 8,
            budget / 16,
            budget / 16,
            4 * perUid[4],
            4 * perUid[5],
        ];
        if (overrides is not null)
        {
            foreach (var (key, value) in overrides)
            {
                bool mount = key.StartsWith("mount_", StringComparison.Ordinal);
                int i = IndexOf(mount ? key["mount_".Length..] : key);
                if (i < 0)
                    throw new ArgumentException($"no limit named {key}", nameof(overrides));
                long v = i == (int)Resource.HeldBytes ? (long)Math.Min(value, long.MaxValue >> 20) << 20 : (long)Math.Min(value, long.MaxValue);
                (mount ? perMount : perUid)[i] = v;
            }
        }
        return new MountLimits(perUid, perMount, log);
    }

    /// <summary>The option names (without "max_"/"mount_max_"): "sockets", ..., "held".</summary>
    public static int IndexOf(string name)
    {
        for (int i = 0; i < Names.Count; i++)
        {
            if (Names[i] == name)
                return i;
        }
        return -1;
    }

    /// <summary>The errno of a refusal, as a program meets the same shortage elsewhere: too many
    /// open files (EMFILE) for fds, no space (ENOSPC, as unshare(2) past max_net_namespaces) for
    /// namespaces, no buffer space (ENOBUFS) for held write data.</summary>
    public static Errno ErrnoOf(Resource r) => r switch
    {
        Resource.Namespaces => Errno.ENOSPC,
        Resource.HeldBytes => Errno.ENOBUFS,
        _ => Errno.EMFILE,
    };

    public long PerUid(Resource r) => _counters[(int)r].PerUid;

    public long PerMount(Resource r) => _counters[(int)r].PerMount;

    public long InUse(Resource r) => _counters[(int)r].Total;

    public long InUse(Resource r, uint uid) => _counters[(int)r].Of(uid);

    public long Refused(Resource r) => _counters[(int)r].Refused;

    /// <summary>Counts one use; 0, or the errno to answer (logged, rate-limited).</summary>
    public Errno TryTake(Resource r, uint uid, long amount = 1)
    {
        if (_counters[(int)r].TryTake(uid, amount, force: false, out bool mountWide))
            return 0;
        LogRefusal(r, uid, mountWide);
        return ErrnoOf(r);
    }

    /// <summary>A charge for one use, or null with the errno (logged) when a cap refuses.</summary>
    public Charge? Take(Resource r, uint uid, out Errno refused, long amount = 1)
    {
        refused = TryTake(r, uid, amount);
        return refused == 0 ? new Charge(this, r, uid, amount) : null;
    }

    /// <summary>Counts a use that exists already and cannot be refused (an answered write).</summary>
    public void TakeAnyway(Resource r, uint uid, long amount = 1) => _counters[(int)r].TryTake(uid, amount, force: true, out _);

    public void Release(Resource r, uint uid, long amount = 1) => _counters[(int)r].Release(uid, amount);

    private void LogRefusal(Resource r, uint uid, bool mountWide)
    {
        int i = (int)r;
        if (!_throttles[i].TryLog(out long more))
            return;
        var c = _counters[i];
        if (mountWide)
        {
            _log.Warning("limit: {Resource} refused to uid {Uid}: the mount holds {InUse} of {Cap} ({Option}); {Errno}; {More} more refused since the last such line",
                Names[i], uid, c.Total, c.PerMount, "mount_max_" + Names[i], ErrnoOf(r), more);
        }
        else
        {
            _log.Warning("limit: {Resource} refused to uid {Uid}: it holds {InUse} of {Cap} ({Option}); {Errno}; {More} more refused since the last such line",
                Names[i], uid, c.Of(uid), c.PerUid, "max_" + Names[i], ErrnoOf(r), more);
        }
    }

    /// <summary>`status` lines: for each resource, what the mount holds, its caps, and refusals.</summary>
    public string Status
    {
        get
        {
            var lines = new List<string>(Names.Count * 4);
            for (int i = 0; i < Names.Count; i++)
            {
                var c = _counters[i];
                string n = Names[i] == "held" ? "held_bytes" : Names[i];
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"limit_{n}={c.Total}/{c.PerUid}/{c.PerMount}"));
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"refused_{n}={c.Refused}"));
            }
            return string.Join('\n', lines);
        }
    }
}
