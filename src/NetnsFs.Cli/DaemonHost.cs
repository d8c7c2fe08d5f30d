using System.Runtime.InteropServices;
using NetnsFs.FileSystem;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Mounting;
using NetnsFs.Fuse.Session;
using NetnsFs.Net.Namespaces;
using NetnsFs.Net.Readiness;
using Serilog;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli;

/// <summary>Runs one mount: the readiness engine, the filesystem, the FUSE session, until the mount
/// goes (umount, or SIGTERM/SIGINT which unmount first). Then releases the namespace.</summary>
/// <param name="rootless">In a user namespace of its own: it cannot unmount (its keeper does, once the daemon exits).</param>
/// <param name="pinDirFd">-o watch's PINDIR, opened where the mounter stands (-1: none).</param>
public sealed class DaemonHost(CommandLine cmd, NetNamespace ns, int fuseFd, ILogger log, ulong mounterMountNs = 0, bool rootless = false, int pinDirFd = -1)
{
    /// <summary>Serves until the mount is gone. <paramref name="onReady"/> is told "OK" once INIT is
    /// answered, or the reason it failed. Returns the exit code.</summary>
    public int Run(Action<string>? onReady)
    {
        var options = cmd.Options;
        var layout = Layout(options);
        using var engine = new ReadinessEngine(log);
        string runDir = Cli.RunDirectory.Create(log);
        var settings = new FileSystemSettings(layout, engine, log,
            (netnsName, _) => Net.Names.ResolverConfig.For(netnsName ?? NetnsName(options), options.HostsFile, options.ResolvConf),
            runDir, new FileSystem.Access.AccessPolicy(layout, options.AllowOther, getuid(), getgid()), MountInfo,
            (int)(options.Spares ?? FileSystemSettings.DefaultSpareNamespaces),
            (int)options.Linger)
        {
            Limits = FileSystem.Limits.MountLimits.ForFdLimit(FdLimit.Current, options.Limits, log),
            HandoffIdle = TimeSpan.FromSeconds(options.HandoffIdle),
            PinDirectoryFd = pinDirFd,
            PinDirectory = options.WatchDirectory,
        };
        if (options.Multi)
            ns.Dispose(); // a multi mount has no namespace of its own
        var fs = new NetnsFileSystem(settings, options.Multi ? null : ns);
        var sessionOptions = new FuseSessionOptions { LogRequests = options.Debug };
        using var session = new FuseSession(new FuseDevice(fuseFd), fs, sessionOptions, log);
        _session = session;
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => c.Cancel = true);
        session.Start();
        try
        {
            if (!session.Initialized.Wait(TimeSpan.FromSeconds(10)))
            {
                onReady?.Invoke("the kernel sent no INIT within 10 s");
                return 1;
            }
        }
        catch (AggregateException e)
        {
            onReady?.Invoke(e.InnerException?.Message ?? e.Message);
            return 1;
        }
        if (options.Multi)
        {
            log.Information("netnsfs {Version} serving {MountPoint}: namespaces by mkdir, pid {Pid}", Program.Version, cmd.MountPoint, Environment.ProcessId);
        }
        else
        {
            log.Information("netnsfs {Version} serving {MountPoint}: network namespace {Inode} ({Origin}), pid {Pid}",
                Program.Version, cmd.MountPoint, ns.Inode, ns.Origin, Environment.ProcessId);
        }

        onReady?.Invoke("OK");
        session.Ended.Wait();
        _stopDeadline?.Dispose();
        log.Information(Volatile.Read(ref _stopped) != 0 ? "{MountPoint} stopped; netnsfs exits" : "{MountPoint} unmounted; netnsfs exits", cmd.MountPoint);
        ns.Dispose();
        Cli.RunDirectory.Remove(runDir, log);
        return 0;
    }

    private static string? NetnsName(MountOptions o) =>
        o.NetnsPath is { } p && p.StartsWith("/run/netns/", StringComparison.Ordinal) ? p["/run/netns/".Length..] : null;

    private FuseSession? _session;

    /// <summary>The status lines about the mount as a whole (the filesystem adds the namespace's).</summary>
    private string MountInfo() => string.Join('\n',
        $"pid={Environment.ProcessId}",
        $"mountpoint={cmd.MountPoint}",
        $"options={cmd.Options.Raw}",
        $"daemon_mount_ns={(mounterMountNs != 0 ? "private" : "shared")}",
        $"daemon_user_ns={(rootless ? "own" : "mounter's")}",
        $"gc_collections={GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}",
        $"allocated_bytes={GC.GetTotalAllocatedBytes()}");

    /// <summary>-o stop_timeout= unless given: well inside the unit's TimeoutStopSec (10 s), so that
    /// `systemctl stop` ends with our own reset of held data, not with systemd's SIGKILL.</summary>
    public const uint DefaultStopTimeoutSeconds = 5;

    private Timer? _stopDeadline;
    private int _signals;
    private int _stopped;

    /// <summary>SIGTERM/SIGINT: unmount (lazily: the kernel keeps the mount serving its open files),
    /// and stop at the latest after stop_timeout, since open files would keep a lazily unmounted
    /// mount, and the daemon, alive for ever. A second signal stops at once. Never throws: an
    /// exception here would end the daemon without its cleanup.</summary>
    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        try
        {
            if (Interlocked.Increment(ref _signals) > 1)
            {
                StopNow($"a second {context.Signal}");
                return;
            }
            var timeout = TimeSpan.FromSeconds(cmd.Options.StopTimeout);
            log.Information("{Signal}: unmounting {MountPoint}; stopping in {Timeout} s at the latest", context.Signal, cmd.MountPoint, timeout.TotalSeconds);
            // Counted from the signal: the unmount itself may take a while (nsenter).
            _stopDeadline = new Timer(_ => StopNow($"still in use {timeout.TotalSeconds} s after {context.Signal} (stop_timeout)"), null, timeout, Timeout.InfiniteTimeSpan);
            RequestUnmount();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.Error("{Signal}: unmounting {MountPoint} failed: {Message}; the daemon stops at stop_timeout", context.Signal, cmd.MountPoint, e.Message);
        }
    }

    private void RequestUnmount()
    {
        if (rootless)
        {
            StopNow("a rootless mount is unmounted by its keeper once its daemon exits");
            return;
        }
        if (mounterMountNs != 0)
        {
            // We live in our own copy of the mounter's mount namespace: unmount over there.
            if (!MountNamespaces.UnmountIn(mounterMountNs, cmd.MountPoint))
                StopNow($"no process left in mount namespace {mounterMountNs}");
            return;
        }
        var errno = FuseMounter.Unmount(cmd.MountPoint, lazy: true);
        if (errno != 0)
            log.Warning("unmount {MountPoint} failed: {Errno}", cmd.MountPoint, errno);
    }

    /// <summary>Ends the session with files still open: they get ENOTCONN; sockets still holding
    /// answered data get a last send, then a reset (the filesystem's end logs how many).</summary>
    private void StopNow(string why)
    {
        try
        {
            if (_session is not { } session || session.Ended.IsCompleted || Interlocked.Exchange(ref _stopped, 1) != 0)
                return;
            log.Warning("{MountPoint}: {Why}: stopping; open files get ENOTCONN", cmd.MountPoint, why);
            session.Stop();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.Error(e, "stopping {MountPoint} failed", cmd.MountPoint);
        }
    }

    public static MountLayout Layout(MountOptions o)
    {
        uint uid = o.Uid ?? getuid();
        uint gid = o.Gid ?? getgid();
        uint root = o.Mode ?? ModeBits.DirectoryDefault;
        // Directories carry the root's mode as it is; socket files its read and write bits only
        // (a socket file is not executable).
        uint file = root & ModeBits.ReadWrite;
        return new MountLayout(uid, gid, root, root, file);
    }
}
