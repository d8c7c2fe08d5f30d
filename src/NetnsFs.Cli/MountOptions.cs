using System.Globalization;
using NetnsFs.FileSystem;

namespace NetnsFs.Cli;

/// <summary>The -o options of a netnsfs mount. Unknown options are refused with a message, except
/// those mount(8), mount.fuse3 and fstab add on their own (rw, dev, suid, defaults, x-*, ...).</summary>
public sealed record MountOptions
{
    public bool Create { get; init; }

    /// <summary>-o multi: namespaces are directories (mkdir creates one).</summary>
    public bool Multi { get; init; }

    /// <summary>-o spares=N: namespaces a multi mount makes ahead of mkdir.</summary>
    public uint? Spares { get; init; }

    /// <summary>-o linger=SECONDS: how long a closed socket file still sends data its large writes
    /// were answered for (0: large writes are answered only once the socket took them).</summary>
    public uint Linger { get; init; } = FileSystemSettings.DefaultLingerSeconds;

    /// <summary>-o stop_timeout=SECONDS: how long after SIGTERM/SIGINT open files may keep the daemon.</summary>
    public uint StopTimeout { get; init; } = DaemonHost.DefaultStopTimeoutSeconds;
    /// <summary>-o max_NAME=N (per uid) and mount_max_NAME=N (per mount) for the resources of
    /// FileSystem.Limits.MountLimits (sockets, listeners, handoffs, namespaces, snapshots, held in
    /// MiB), by their key without "max_" ("sockets", "mount_sockets").</summary>
    public IReadOnlyDictionary<string, ulong> Limits { get; init; } = new Dictionary<string, ulong>();

    /// <summary>-o handoff_idle=SECONDS: a handoff connection without a request for that long is closed.</summary>
    public uint HandoffIdle { get; init; } = FileSystemSettings.DefaultHandoffIdleSeconds;

    public string? NetnsPath { get; init; }

    /// <summary>-o watch[=PINDIR]: a multi mount shows every namespace pinned there (/run/netns by default).</summary>
    public string? WatchDirectory { get; init; }

    /// <summary>Where `ip netns add` pins namespaces: what -o watch alone watches.</summary>
    public const string DefaultWatchDirectory = "/run/netns";

    public string? LogFile { get; init; }
    public bool Debug { get; init; }
    public bool AllowOther { get; init; }
    public bool? DefaultPermissions { get; init; }
    public uint? Uid { get; init; }
    public uint? Gid { get; init; }
    public uint? Mode { get; init; }

    /// <summary>Name lookups of dial paths: the hosts file and resolv.conf to use instead of the
    /// namespace's (/etc/netns/NAME/... for -o netns=/run/netns/NAME, else /etc/...).</summary>
    public string? HostsFile { get; init; }
    public string? ResolvConf { get; init; }

    /// <summary>The options exactly as given (for the status file).</summary>
    public string Raw { get; init; } = "";

    /// <summary>Options helpers add that mean nothing here; accepted and ignored.</summary>
    private static readonly HashSet<string> HelperOptions =
    [
        "rw", "ro", "dev", "nodev", "suid", "nosuid", "exec", "noexec", "async", "sync", "atime", "noatime",
        "relatime", "norelatime", "strictatime", "nodiratime", "diratime", "auto", "noauto", "user", "nouser",
        "users", "owner", "group", "defaults", "_netdev", "nofail", "silent", "loud", "lazytime", "nolazytime",
    ];

    /// <summary>Parses a comma-separated list; throws <see cref="UsageException"/> with the reason.</summary>
    public static MountOptions Parse(IEnumerable<string> lists)
    {
        var o = new MountOptions();
        var raw = new List<string>();
        foreach (var list in lists)
        {
            foreach (var item in list.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                raw.Add(item);
                int eq = item.IndexOf('=');
                string key = eq < 0 ? item : item[..eq];
                string? value = eq < 0 ? null : item[(eq + 1)..];
                o = Apply(o, key, value, item);
            }
        }
        if (o.Create && o.NetnsPath is not null)
            throw new UsageException("options 'create' and 'netns=' exclude each other");
        if (o.Multi && (o.Create || o.NetnsPath is not null))
            throw new UsageException("option 'multi' makes namespaces by mkdir: it takes no 'create' or 'netns='");
        if (o.Spares is not null && !o.Multi)
            throw new UsageException("option 'spares=' is for multi mounts only");
        if (o.WatchDirectory is not null && !o.Multi)
            throw new UsageException("option 'watch' is for multi mounts only (-o multi,watch)");
        return o with { Raw = string.Join(',', raw) };
    }

    private static MountOptions Apply(MountOptions o, string key, string? value, string item)
    {
        switch (key)
        {
            case "create": return o with { Create = Flag(key, value) };
            case "multi": return o with { Multi = Flag(key, value) };
            case "netns": return o with { NetnsPath = Required(key, value) };
            case "watch":
                string dir = value ?? DefaultWatchDirectory;
                if (!dir.StartsWith('/'))
                    throw new UsageException($"watch={value}: an absolute directory");
                return o with { WatchDirectory = dir };
            case "spares":
                uint spares = Number(key, value, 10);
                if (spares > 1000)
                    throw new UsageException($"spares={value}: at most 1000");
                return o with { Spares = spares };
            case "linger":
                uint linger = Number(key, value, 10);
                if (linger > 3600)
                    throw new UsageException($"linger={value}: at most 3600 seconds");
                return o with { Linger = linger };
            case "stop_timeout": return o with { StopTimeout = Number(key, value, 10) is var t && t <= 3600 ? t : throw new UsageException($"stop_timeout={value}: at most 3600 seconds") };
            case "handoff_idle":
                uint idle = Number(key, value, 10);
                if (idle is 0 or > 86400)
                    throw new UsageException($"handoff_idle={value}: 1 to 86400 seconds");
                return o with { HandoffIdle = idle };
            case "log": return o with { LogFile = Required(key, value) };
            case "debug": return o with { Debug = Flag(key, value) };
            case "allow_other": return o with { AllowOther = Flag(key, value) };
            case "default_permissions": return o with { DefaultPermissions = Flag(key, value) };
            case "uid": return o with { Uid = Number(key, value, 10) };
            case "gid": return o with { Gid = Number(key, value, 10) };
            case "mode":
                uint mode = Number(key, value, 8);
                if (mode > 0xFFF)
                    throw new UsageException($"mode={value}: not a permission mode (0000-7777)");
                return o with { Mode = mode };
            case "hosts": return o with { HostsFile = Required(key, value) };
            case "resolv": return o with { ResolvConf = Required(key, value) };
            case "fsname":
            case "subtype":
            case "comment":
                return o; // set by fstab or mount.fuse3; ours are fixed
        }
        if (LimitKey(key) is { } limit)
        {
            uint n = Number(key, value, 10);
            if (n == 0)
                throw new UsageException($"{key}={value}: at least 1");
            return o with { Limits = new Dictionary<string, ulong>(o.Limits) { [limit] = n } };
        }
        if (HelperOptions.Contains(key) && value is null)
            return o;
        if (key.StartsWith("x-", StringComparison.Ordinal))
            return o; // fstab's userspace-only options
        throw new UsageException($"unknown mount option '{item}' (see netnsfs --help)");
    }

    /// <summary>"max_sockets" to "sockets", "mount_max_held" to "mount_held"; null for other keys.</summary>
    private static string? LimitKey(string key)
    {
        string prefix = key.StartsWith("mount_max_", StringComparison.Ordinal) ? "mount_max_" : key.StartsWith("max_", StringComparison.Ordinal) ? "max_" : "";
        if (prefix.Length == 0)
            return null;
        string name = key[prefix.Length..];
        if (NetnsFs.FileSystem.Limits.MountLimits.IndexOf(name) < 0)
            return null;
        return prefix == "max_" ? name : "mount_" + name;
    }

    private static bool Flag(string key, string? value) =>
        value is null ? true : throw new UsageException($"option '{key}' takes no value");

    private static string Required(string key, string? value) =>
        string.IsNullOrEmpty(value) ? throw new UsageException($"option '{key}=' needs a value") : value;

    private static uint Number(string key, string? value, int radix)
    {
        string v = Required(key, value);
        try
        {
            return radix == 8 ? Convert.ToUInt32(v, 8) : uint.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new UsageException($"option '{key}={v}': not a {(radix == 8 ? "octal" : "decimal")} number");
        }
    }
}

/// <summary>A command line we cannot act on; the message goes to stderr, the exit code is 2.</summary>
public sealed class UsageException(string message) : Exception(message);
