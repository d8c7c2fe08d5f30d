using System.Diagnostics;
using System.Globalization;
using NetnsFs.Fuse.Mounting;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli;

/// <summary>The process mount(8) starts. .NET cannot fork, so it re-executes itself as the daemon:
/// it takes the namespace and /dev/fuse, starts the daemon with both fds inherited, mounts (as root,
/// after the daemon exists, so that a later step can put the daemon elsewhere), tells the daemon
/// to go, and waits on a readiness pipe. It exits 0 only once the mount is live.</summary>
public static class Launcher
{
    private const int ReadyTimeoutMs = 15000;

    public static int Run(CommandLine cmd)
    {
        // Rootless: the daemon makes its namespaces itself, inside a user namespace of its own.
        bool selfMade = Rootless.DaemonMakesNamespaces(cmd.Options);
        bool rootless = Rootless.Needed(cmd.Options);
        if (rootless)
            Rootless.CheckMachine();
        using var ns = selfMade ? null : NamespaceSource.Acquire(cmd.Options);
        // Before the mount: a PINDIR refused must leave nothing mounted.
        int pins = cmd.Options.WatchDirectory is { } pinDir ? PinDirectory.Open(pinDir) : -1;
        var mountOptions = FuseOptions(cmd);
        bool direct = FuseMounter.IsPrivileged;
        int fuseFd = direct ? FuseMounter.OpenDevice() : FuseMounter.Mount(cmd.MountPoint, mountOptions);
        var ready = Native.Pipe();
        var go = Native.Pipe();
        int watch = -1;
        Process child;
        try
        {
            int nsFd = ns?.Fd ?? -1;
            Native.CloseOnExecAllBut(fuseFd, nsFd, ready.Write, go.Read, pins);
            using (Native.StdioToDevNull())
            {
                // The keeper first, while nothing but stdio is inherited: a copy of /dev/fuse in it
                // would keep a dead mount from ever reading ENOTCONN.
                if (rootless)
                    watch = Rootless.StartKeeper(cmd.MountPoint);
                foreach (int fd in new[] { fuseFd, nsFd, ready.Write, go.Read, watch, pins })
                {
                    if (fd >= 0)
                        Native.SetInheritable(fd, true);
                }
                ulong mounterNs = direct && MountNamespaces.DaemonNeedsOwn() ? MountNamespaces.InodeOf("self") : 0;
                var args = new DaemonArgs(fuseFd, nsFd, ready.Write, go.Read, mounterNs, watch, rootless, pins, ns?.Origin ?? "created");
                child = SpawnDaemon(cmd, args, rootless, selfMade);
            }
        }
        finally
        {
            close(ready.Write);
            close(go.Read);
            if (watch >= 0)
                close(watch); // the daemon's now: the keeper acts when the daemon's copy closes
            if (pins >= 0)
                close(pins);
        }
        try
        {
            // The daemon first says it stands in its own mount namespace: a mount made before that
            // would be copied into it, and its copy would keep the mount alive after umount.
            string? started = Native.ReadLine(ready.Read, ReadyTimeoutMs);
            if (started != DaemonArgs.Started)
                throw new FuseMountException(NetnsFs.Interop.Errno.EIO, started is null ? "the daemon did not start in time" : $"the daemon exited (code {ExitCodeOf(child)}) {started}".Trim());
            if (direct)
                FuseMounter.MountFd(fuseFd, cmd.MountPoint, mountOptions);
        }
        catch (FuseMountException)
        {
            close(go.Write); // EOF: the daemon exits without serving
            close(fuseFd);
            throw;
        }
        close(fuseFd);
        Native.WriteAll(go.Write, "g");
        close(go.Write);
        string? answer = Native.ReadLine(ready.Read, ReadyTimeoutMs);
        close(ready.Read);
        if (answer is not null && answer.StartsWith("OK", StringComparison.Ordinal))
            return 0;
        Console.Error.WriteLine($"netnsfs: {cmd.MountPoint}: " + (answer switch
        {
            null => "the daemon did not come up in time",
            "" => $"the daemon exited (code {ExitCodeOf(child)})",
            _ => answer.Trim(),
        }));
        FuseMounter.Unmount(cmd.MountPoint, lazy: true);
        if (!child.HasExited)
            child.Kill();
        return 1;
    }

    private static string ExitCodeOf(Process p) =>
        p.WaitForExit(1000) ? p.ExitCode.ToString(CultureInfo.InvariantCulture) : "?";

    public static FuseMountOptions FuseOptions(CommandLine cmd)
    {
        var o = cmd.Options;
        return new FuseMountOptions
        {
            Source = cmd.Source,
            Subtype = "netnsfs",
            AllowOther = o.AllowOther,
            DefaultPermissions = o.DefaultPermissions ?? o.AllowOther,
            RootMode = S_IFDIR | DaemonHost.Layout(o).RootPermissions,
            UserId = getuid(),
            GroupId = getgid(),
        };
    }

    private static Process SpawnDaemon(CommandLine cmd, DaemonArgs args, bool rootless, bool selfMade)
    {
        var (exe, prefix) = SelfCommand();
        // Without root, a user namespace of the daemon's own; as root, a private copy of our mount
        // namespace, made now, before the FUSE mount exists; a network namespace to make the
        // mount's from, when the daemon makes them (Rootless.DaemonMakesNamespaces).
        var unshare = new List<string>();
        if (rootless)
            unshare.AddRange(Rootless.UserNamespace);
        if (args.MounterMountNs != 0)
            unshare.AddRange(["--mount", "--propagation", "private"]);
        if (selfMade)
            unshare.Add("--net");
        var psi = new ProcessStartInfo(unshare.Count > 0 ? MountNamespaces.Unshare : exe) { UseShellExecute = false };
        if (unshare.Count > 0)
        {
            foreach (var a in unshare)
                psi.ArgumentList.Add(a);
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(exe);
        }
        foreach (var p in prefix)
            psi.ArgumentList.Add(p);
        psi.ArgumentList.Add(DaemonArgs.Flag);
        psi.ArgumentList.Add(args.Encode());
        psi.ArgumentList.Add("-o");
        psi.ArgumentList.Add(cmd.Options.Raw.Length > 0 ? cmd.Options.Raw : "defaults");
        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add(cmd.Source);
        psi.ArgumentList.Add(cmd.MountPoint);
        return Process.Start(psi) ?? throw new IOException("cannot start the daemon");
    }

    /// <summary>How to run this program again: the native binary itself, or `dotnet netnsfs.dll`.</summary>
    internal static (string Exe, string[] Prefix) SelfCommand()
    {
        string exe = Environment.ProcessPath ?? throw new IOException("cannot find my own executable");
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet")
            return (exe, [Path.Combine(AppContext.BaseDirectory, "netnsfs.dll")]);
        return (exe, []);
    }
}

/// <summary>What the launcher hands the daemon: inherited fds and where the namespace came from.
/// <paramref name="NetnsFd"/>: -1 when the daemon makes its namespace itself (rootless).
/// <paramref name="MounterMountNs"/>: the mount namespace the mount lives in, when the daemon
/// runs in its own copy (0: the daemon shares it). <paramref name="WatchFd"/>: the rootless keeper's
/// pipe, held for the daemon's life (-1: none). <paramref name="Rootless"/>: the
/// daemon runs in a user namespace of its own (<see cref="Cli.Rootless"/>). <paramref name="PinDirFd"/>:
/// -o watch's PINDIR opened in the mounter's mount namespace (-1: none).</summary>
public sealed record DaemonArgs(int FuseFd, int NetnsFd, int ReadyFd, int GoFd, ulong MounterMountNs, int WatchFd, bool Rootless, int PinDirFd, string Origin)
{
    public const string Flag = "--daemon";

    /// <summary>The daemon's first line on the readiness pipe: it is up, in its own mount namespace.</summary>
    public const string Started = "STARTED";

    public string Encode() => string.Create(CultureInfo.InvariantCulture, $"{FuseFd},{NetnsFd},{ReadyFd},{GoFd},{MounterMountNs},{WatchFd},{(Rootless ? 1 : 0)},{PinDirFd},{Origin}");

    public static DaemonArgs Decode(string s)
    {
        var parts = s.Split(',', 9);
        if (parts.Length != 9)
            throw new UsageException("bad --daemon argument");
        int P(int i) => int.Parse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return new DaemonArgs(P(0), P(1), P(2), P(3), ulong.Parse(parts[4], CultureInfo.InvariantCulture), P(5), parts[6] == "1", P(7), parts[8]);
    }
}
