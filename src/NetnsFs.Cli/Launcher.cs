using System.Diagnostics;
using System.Globalization;
using NetnsFs.Fuse.Mounting;
using NetnsFs.Net.Namespaces;
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
        using var ns = NamespaceSource.Acquire(cmd.Options);
        var mountOptions = FuseOptions(cmd);
        bool direct = FuseMounter.IsPrivileged;
        int fuseFd = direct ? FuseMounter.OpenDevice() : FuseMounter.Mount(cmd.MountPoint, mountOptions);
        var ready = Native.Pipe();
        var go = Native.Pipe();
        Process child;
        try
        {
            Native.CloseOnExecAllBut(fuseFd, ns.Fd, ready.Write, go.Read);
            Native.SetInheritable(fuseFd, true);
            Native.SetInheritable(ns.Fd, true);
            Native.SetInheritable(ready.Write, true);
            Native.SetInheritable(go.Read, true);
            ulong mounterNs = direct && MountNamespaces.DaemonNeedsOwn() ? MountNamespaces.InodeOf("self") : 0;
            using (Native.StdioToDevNull())
                child = SpawnDaemon(cmd, ns, fuseFd, ready.Write, go.Read, mounterNs);
        }
        finally
        {
            close(ready.Write);
            close(go.Read);
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

    private static Process SpawnDaemon(CommandLine cmd, NetNamespace ns, int fuseFd, int readyFd, int goFd, ulong mounterNs)
    {
        var (exe, prefix) = SelfCommand();
        var psi = new ProcessStartInfo(mounterNs != 0 ? MountNamespaces.Unshare : exe) { UseShellExecute = false };
        if (mounterNs != 0)
        {
            // A private copy of our mount namespace, made now, before the FUSE mount exists.
            foreach (var a in new[] { "--mount", "--propagation", "private", "--", exe })
                psi.ArgumentList.Add(a);
        }
        foreach (var p in prefix)
            psi.ArgumentList.Add(p);
        psi.ArgumentList.Add(DaemonArgs.Flag);
        psi.ArgumentList.Add(new DaemonArgs(fuseFd, ns.Fd, readyFd, goFd, mounterNs, ns.Origin).Encode());
        psi.ArgumentList.Add("-o");
        psi.ArgumentList.Add(cmd.Options.Raw.Length > 0 ? cmd.Options.Raw : "defaults");
        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add(cmd.Source);
        psi.ArgumentList.Add(cmd.MountPoint);
        return Process.Start(psi) ?? throw new IOException("cannot start the daemon");
    }

    /// <summary>How to run this program again: the native binary itself, or `dotnet netnsfs.dll`.</summary>
    private static (string Exe, string[] Prefix) SelfCommand()
    {
        string exe = Environment.ProcessPath ?? throw new IOException("cannot find my own executable");
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet")
            return (exe, [Path.Combine(AppContext.BaseDirectory, "netnsfs.dll")]);
        return (exe, []);
    }
}

/// <summary>What the launcher hands the daemon: inherited fds and where the namespace came from.</summary>
/// <summary><paramref name="MounterMountNs"/>: the mount namespace the mount lives in, when the daemon
/// runs in its own copy (0: the daemon shares it).</summary>
public sealed record DaemonArgs(int FuseFd, int NetnsFd, int ReadyFd, int GoFd, ulong MounterMountNs, string Origin)
{
    public const string Flag = "--daemon";

    /// <summary>The daemon's first line on the readiness pipe: it is up, in its own mount namespace.</summary>
    public const string Started = "STARTED";

    public string Encode() => string.Create(CultureInfo.InvariantCulture, $"{FuseFd},{NetnsFd},{ReadyFd},{GoFd},{MounterMountNs},{Origin}");

    public static DaemonArgs Decode(string s)
    {
        var parts = s.Split(',', 6);
        if (parts.Length != 6)
            throw new UsageException("bad --daemon argument");
        int P(int i) => int.Parse(parts[i], CultureInfo.InvariantCulture);
        return new DaemonArgs(P(0), P(1), P(2), P(3), ulong.Parse(parts[4], CultureInfo.InvariantCulture), parts[5]);
    }
}
