using NetnsFs.Fuse.Mounting;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Namespaces;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli;

/// <summary>netnsfs: mount a network namespace. Thin: parse, then hand over to the launcher (which
/// starts a daemon and returns once the mount is live) or, with -f, run the daemon here.</summary>
public static class Program
{
    public static string Version => typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "0";

    public static int Main(string[] args)
    {
        // mount(8) may run helpers with an empty environment; we run unshare, nsenter, fusermount3.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PATH")))
            Environment.SetEnvironmentVariable("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        try
        {
            if (args.Length > 0 && args[0] is "-h" or "--help")
            {
                Console.Out.Write(Usage.Text);
                return 0;
            }
            if (args.Length > 0 && args[0] is "-V" or "--version")
            {
                Console.Out.WriteLine($"netnsfs {Version}");
                return 0;
            }
            // The struct layouts handed to libc and the kernel are x86-64's: anywhere else, one line and exit 1.
            if (LibcLayouts.RefusalForThisProcess() is { } refusal)
            {
                Console.Error.WriteLine("netnsfs: " + refusal);
                return 1;
            }
            if (args.Length > 4 && args[0] == Runner.RunTarget.Flag)
                return Runner.RunTarget.Start(args[1..]);
            if (args.Length == 3 && args[0] == Runner.RunSurvivor.Flag)
                return Runner.RunSurvivor.Start(args[1..]);
            if (args.Length == 2 && args[0] == NamespaceProxy.Flag)
                return NamespaceProxy.Run(args[1..]);
            if (args.Length > 0 && args[0] == "exec")
                return ExecCommand.Run(args[1..]);
            if (args.Length > 0 && args[0] == "run")
                return Runner.RunCommand.Run(args[1..]);
            if (args.Length > 1 && args[0] == DaemonArgs.Flag)
                return RunDaemon(DaemonArgs.Decode(args[1]), CommandLine.Parse(args[2..]));
            var cmd = CommandLine.Parse(args);
            if (!Directory.Exists(cmd.MountPoint))
                throw new UsageException($"mountpoint {cmd.MountPoint}: no such directory");
            return cmd.Foreground ? RunForeground(cmd) : Launcher.Run(cmd);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("netnsfs: " + e.Message);
            return 2;
        }
        catch (Runner.RunRefused e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        catch (Exception e) when (e is NetException or FuseMountException)
        {
            Console.Error.WriteLine("netnsfs: " + e.Message);
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine("netnsfs: " + e.Message);
            return 1;
        }
    }

    private static int RunForeground(CommandLine cmd)
    {
        var log = Logging.Create(cmd.Options, foreground: true);
        FdLimit.Raise(log);
        using var ns = NamespaceSource.Acquire(cmd.Options);
        int pins = cmd.Options.WatchDirectory is { } pinDir ? PinDirectory.Open(pinDir) : -1;
        int fd = FuseMounter.Mount(cmd.MountPoint, Launcher.FuseOptions(cmd));
        return new DaemonHost(cmd, ns, fd, log, pinDirFd: pins).Run(null);
    }

    private static int RunDaemon(DaemonArgs d, CommandLine cmd)
    {
        setsid();
        Native.DetachStdio();
        var log = Logging.Create(cmd.Options, foreground: false);
        FdLimit.Raise(log);
        Native.SetInheritable(d.FuseFd, false);
        if (d.NetnsFd >= 0)
            Native.SetInheritable(d.NetnsFd, false);
        if (d.WatchFd >= 0)
            Native.SetInheritable(d.WatchFd, false); // held, never written: the keeper unmounts a dead mount when it closes
        Native.SetInheritable(d.ReadyFd, false);
        if (d.PinDirFd >= 0)
            Native.SetInheritable(d.PinDirFd, false);
        NetnsFs.Net.Identity.ProcessCredentials.InOwnersUserNamespace = d.Rootless;
        if (d.Rootless)
            prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); // kept across the exec here; no child of the daemon gets them
        if (d.MounterMountNs != 0)
            MountNamespaces.DetachFuseCopies(log);
        Native.WriteAll(d.ReadyFd, DaemonArgs.Started + "\n");
        // Wait for the launcher's mount: /dev/fuse answers EPERM until it exists.
        string go = Native.ReadLine(d.GoFd, 30000) ?? ""; // "g", then EOF
        close(d.GoFd);
        if (go != "g")
            return 1;
        void Ready(string answer)
        {
            Native.WriteAll(d.ReadyFd, answer + "\n");
            close(d.ReadyFd);
        }
        try
        {
            // Rootless: made here, inside the daemon's own user namespace.
            var ns = d.NetnsFd >= 0 ? NamespaceSource.Served(NetNamespace.Adopt(d.NetnsFd, d.Origin)) : NamespaceSource.Acquire(cmd.Options);
            return new DaemonHost(cmd, ns, d.FuseFd, log, d.MounterMountNs, rootless: d.Rootless, pinDirFd: d.PinDirFd).Run(Ready);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.Fatal(e, "daemon failed");
            Ready("daemon failed: " + e.Message);
            return 1;
        }
        finally
        {
            (log as IDisposable)?.Dispose();
        }
    }
}
