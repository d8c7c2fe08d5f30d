using NetnsFs.FileSystem.Access;
using NetnsFs.FileSystem.Limits;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Net.Names;
using NetnsFs.Net.Readiness;
using Serilog;

namespace NetnsFs.FileSystem;

/// <summary>What a netnsfs filesystem is built with.</summary>
/// <param name="Layout">Owner and modes of its nodes.</param>
/// <param name="Engine">The readiness engine every socket of every namespace shares.</param>
/// <param name="Log">Where it logs.</param>
/// <param name="Resolver">Name lookup settings for a namespace (by its name under a multi mount,
/// or null; and the path it was attached from, or null).</param>
/// <param name="RunDirectory">Where handoff sockets are bound (outside the mount), or null for none.</param>
/// <param name="Policy">Who may use the handoff sockets.</param>
/// <param name="MountInfo">Extra status lines (mount point, options, pid).</param>
/// <param name="SpareNamespaces">A multi mount's namespaces made ahead of mkdir (0: on demand).</param>
/// <param name="LingerSeconds">How long a closed socket file still sends data of writes answered before
/// the socket took it (zero: no write is answered before).</param>
public sealed record FileSystemSettings(
    MountLayout Layout,
    ReadinessEngine Engine,
    ILogger Log,
    Func<string?, string?, ResolverConfig> Resolver,
    string? RunDirectory,
    AccessPolicy Policy,
    Func<string> MountInfo,
    int SpareNamespaces = FileSystemSettings.DefaultSpareNamespaces,
    int LingerSeconds = FileSystemSettings.DefaultLingerSeconds)
{
    public const int DefaultSpareNamespaces = 8;

    /// <summary>A handoff connection with no request for this long is closed (a request being
    /// served does not count as idle).</summary>
    public const int DefaultHandoffIdleSeconds = 300;

    /// <summary>What each user and the mount may make the daemon hold (default: the defaults for a
    /// daemon with 1024 fds, the smallest soft limit it may run with).</summary>
    public MountLimits Limits { get; init; } = MountLimits.ForFdLimit(1024, null, Log);

    /// <summary>How long a handoff connection may stay without a request.</summary>
    public TimeSpan HandoffIdle { get; init; } = TimeSpan.FromSeconds(DefaultHandoffIdleSeconds);

    public const int DefaultLingerSeconds = 30;

    /// <summary>-o watch: a directory fd of PINDIR (the filesystem owns it), or -1.</summary>
    public int PinDirectoryFd { get; init; } = -1;

    /// <summary>PINDIR's path, for logs.</summary>
    public string? PinDirectory { get; init; }
}
