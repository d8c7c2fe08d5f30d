using System.Runtime.InteropServices;
using NetnsFs.FileSystem;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Mounting;
using NetnsFs.Fuse.Session;
using NetnsFs.Net.Namespaces;
using NetnsFs.Net.Readiness;
using Serilog;

namespace NetnsFs.Cli;

/// <summary>Runs one mount: the readiness engine, the filesystem, the FUSE session, until the mount
/// goes (umount, or SIGTERM/SIGINT which unmount first). Then releases the namespace.</summary>
public sealed class DaemonHost(CommandLine cmd, NetNamespace ns, int fuseFd, ILogger log, ulong mounterMountNs = 0)
{
    /// <summary>Serves until the mount is gone. <paramref name="onReady"/> is told "OK" once INIT is
    /// answered, or the reason it failed. Returns the exit code.</summary>
    public int Run(Action<string>? onReady)
    {
        var options = cmd.Options;
        var layout = Layout(options);
        using var engine = new ReadinessEngine(log);
        string runDir = RunDirectory();
        CreateRunDirectory(runDir, layout);
        var settings = new FileSystemSettings(layout, engine, log,
            (netnsName, _) => Net.Names.ResolverConfig.For(netnsName ?? NetnsName(options), options.HostsFile, options.ResolvConf),
            runDir, new FileSystem.Access.AccessPolicy(layout, options.AllowOther), MountInfo,
            (int)(options.Spares ?? FileSystemSettings.DefaultSpareNamespaces),
            (int)options.Linger)
        { Limits = FileSystem.Limits.MountLimits.ForFdLimit(FdLimit.Current, options.Limits, log), HandoffIdle = TimeSpan.FromSeconds(options.HandoffIdle) };
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
            log.Information("netnsfs {Version} serving {MountPoint}: namespaces by mkdir, pid {Pid}", Program.Version, cmd.MountPoint, Environment.ProcessId);
        else
            log.Information("netnsfs {Version} serving {MountPoint}: network namespace {Inode} ({Origin}), pid {Pid}",
                Program.Version, cmd.MountPoint, ns.Inode, ns.Origin, Environment.ProcessId);
        onReady?.Invoke("OK");
        session.Ended.Wait();
        log.Information("{MountPoint} unmounted; netnsfs exits", cmd.MountPoint);
        ns.Dispose();
        RemoveRunDirectory(runDir);
        return 0;
    }

    private static string? NetnsName(MountOptions o) =>
        o.NetnsPath is { } p && p.StartsWith("/run/netns/", StringComparison.Ordinal) ? p["/run/netns/".Length..] : null;

    private static void CreateRunDirectory(string dir, MountLayout layout)
    {
        RemoveStaleRunDirectories(Path.GetDirectoryName(dir)!);
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)(layout.RootPermissions & 0x1FF));
        if (Mono.Unix.Native.Syscall.geteuid() == 0)
            Native.chown(dir, layout.Uid, layout.Gid);
    }

    /// <summary>Run directories of daemons that died without cleaning up (SIGKILL) go at the next start.</summary>
    private static void RemoveStaleRunDirectories(string parent)
    {
        if (!Directory.Exists(parent))
            return;
        foreach (var d in Directory.GetDirectories(parent))
        {
            if (int.TryParse(Path.GetFileName(d), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid) &&
                !Directory.Exists($"/proc/{pid}"))
            {
                try
                {
                    Directory.Delete(d, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    private void RemoveRunDirectory(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException e)
        {
            log.Warning("cannot remove {Dir}: {Message}", dir, e.Message);
        }
    }

    private FuseSession? _session;

    /// <summary>The status lines about the mount as a whole (the filesystem adds the namespace's).</summary>
    private string MountInfo() => string.Join('\n',
        $"pid={Environment.ProcessId}",
        $"mountpoint={cmd.MountPoint}",
        $"options={cmd.Options.Raw}",
        $"daemon_mount_ns={(mounterMountNs != 0 ? "private" : "shared")}",
        $"gc_collections={GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}",
        $"allocated_bytes={GC.GetTotalAllocatedBytes()}");

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        log.Information("{Signal}: unmounting {MountPoint}", context.Signal, cmd.MountPoint);
        if (mounterMountNs != 0)
        {
            // We live in our own copy of the mounter's mount namespace: unmount over there.
            if (!MountNamespaces.UnmountIn(mounterMountNs, cmd.MountPoint))
            {
                log.Warning("no process left in mount namespace {Inode}; stopping", mounterMountNs);
                _session?.Stop();
            }
            return;
        }
        var errno = FuseMounter.Unmount(cmd.MountPoint, lazy: true);
        if (errno != 0)
            log.Warning("unmount {MountPoint} failed: {Errno}", cmd.MountPoint, errno);
    }

    /// <summary>Where the handoff socket lives: outside the mount (a socket bound inside it would
    /// pin it), where every caller's mount namespace sees it.</summary>
    private static string RunDirectory()
    {
        string pid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (Mono.Unix.Native.Syscall.geteuid() == 0)
            return Path.Combine("/run/netnsfs", pid);
        string? xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        string baseDir = !string.IsNullOrEmpty(xdg) ? Path.Combine(xdg, "netnsfs") : $"/tmp/netnsfs-{Mono.Unix.Native.Syscall.getuid()}";
        return Path.Combine(baseDir, pid);
    }

    public static MountLayout Layout(MountOptions o)
    {
        uint uid = o.Uid ?? (uint)Mono.Unix.Native.Syscall.getuid();
        uint gid = o.Gid ?? (uint)Mono.Unix.Native.Syscall.getgid();
        uint root = o.Mode ?? 0x1ED; // 0755
        // Socket files carry the root's read/write bits; directories its search bits.
        uint file = root & 0x1B6; // rw-rw-rw- masked by the root mode
        return new MountLayout(uid, gid, root, root, file);
    }
}
