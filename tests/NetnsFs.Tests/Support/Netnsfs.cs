namespace NetnsFs.Tests.Support;

/// <summary>Where the netnsfs binary under test is: $NETNSFS_BIN (e.g. the installed NativeAOT
/// binary), else the build output of src/NetnsFs.Cli next to this test build.</summary>
public static class Netnsfs
{
    public static string Binary
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("NETNSFS_BIN");
            if (!string.IsNullOrEmpty(env))
                return env;
            // tests/NetnsFs.Tests/bin/CONFIG/net10.0 -> src/NetnsFs.Cli/bin/CONFIG/net10.0/netnsfs
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            string config = dir.Parent!.Name;
            string repo = dir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            return Path.Combine(repo, "src", "NetnsFs.Cli", "bin", config, "net10.0", "netnsfs");
        }
    }

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            return dir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        }
    }
}

/// <summary>Process liveness as the tests need it: a zombie (exited, not yet reaped by init) is gone.</summary>
public static class Processes
{
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return !stat[(stat.LastIndexOf(')') + 1)..].TrimStart().StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static bool WaitGone(int pid, TimeSpan timeout) => Await.Eventually(() => !IsAlive(pid), timeout);
}

/// <summary>A live netnsfs mount made by running the real binary as mount(8) would. Dispose
/// unmounts and waits for the daemon to exit (killing it if it does not), so that nothing is left
/// even when the test failed.</summary>
public sealed class NetnsfsMount : IDisposable
{
    private readonly TempDir? _ownDir;

    public NetnsfsMount(string options = "create", string? mountPoint = null, string source = "netnsfs")
    {
        if (mountPoint is null)
        {
            _ownDir = new TempDir("mnt");
            mountPoint = _ownDir.Path;
        }
        Dir = mountPoint;
        Result = Run.Process(Netnsfs.Binary, [source, mountPoint, "-o", options], TimeSpan.FromSeconds(30));
        if (Result.ExitCode != 0)
        {
            _ownDir?.Dispose();
            throw new InvalidOperationException($"mount failed: {Result}");
        }
        DaemonPid = int.Parse(Status["pid"], System.Globalization.CultureInfo.InvariantCulture);
    }

    public string Dir { get; }
    public int DaemonPid { get; }
    public RunResult Result { get; }

    public string this[string relative] => Path.Combine(Dir, relative);

    /// <summary>The status file as key=value pairs.</summary>
    public Dictionary<string, string> Status => ReadStatus(Path.Combine(Dir, "status"));

    /// <summary>A status file (the mount's, or a namespace directory's of a multi mount) as key=value pairs.</summary>
    public static Dictionary<string, string> ReadStatus(string file) =>
        File.ReadAllLines(file)
            .Where(l => l.Contains('=', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);

    /// <summary>A number of the status file (sockets, listeners, held_writes, deferred_requests, ...).</summary>
    public long StatusNumber(string key) => long.Parse(Status[key], System.Globalization.CultureInfo.InvariantCulture);

    public bool DaemonAlive => Processes.IsAlive(DaemonPid);

    public int DaemonFdCount => Directory.GetFileSystemEntries($"/proc/{DaemonPid}/fd").Length;

    /// <summary>Waits up to <paramref name="timeout"/> for the daemon to exit.</summary>
    public bool WaitDaemonExit(TimeSpan timeout) => Processes.WaitGone(DaemonPid, timeout);

    public void Dispose()
    {
        if (Mounts.IsMounted(Dir))
            Mounts.Detach(Dir);
        if (!WaitDaemonExit(TimeSpan.FromSeconds(5)))
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(DaemonPid).Kill();
            }
            catch (ArgumentException)
            {
            }
            WaitDaemonExit(TimeSpan.FromSeconds(2));
        }
        _ownDir?.Dispose();
    }
}

/// <summary>A network namespace held by a sleeping process (unshare --net), lo up. Dispose kills
/// the process; the namespace goes with it unless something else holds it.</summary>
public sealed class NamespaceHolder : IDisposable
{
    private readonly System.Diagnostics.Process _process;

    public NamespaceHolder()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("unshare", ["--net", "--", "sleep", "3600"]) { UseShellExecute = false };
        _process = System.Diagnostics.Process.Start(psi)!;
        // unshare execs sleep: the pid stays, the namespace is the new one once exec happened.
        Await.Until(() => File.ReadAllText($"/proc/{Pid}/cmdline").StartsWith("sleep", StringComparison.Ordinal), TimeSpan.FromSeconds(5),
            "unshare to exec sleep in the new namespace");
        Run.Checked(Run.Process("nsenter", [$"--net={Path}", "ip", "link", "set", "lo", "up"]));
    }

    public int Pid => _process.Id;

    public string Path => $"/proc/{Pid}/ns/net";

    /// <summary>Runs a command inside the namespace.</summary>
    public RunResult Exec(params string[] command) => Run.Process("nsenter", [$"--net={Path}", "--", .. command]);

    /// <summary>Starts a long-running command inside the namespace (a server); killed on dispose.</summary>
    public System.Diagnostics.Process Start(params string[] command)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("nsenter", [$"--net={Path}", "--", .. command])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var p = System.Diagnostics.Process.Start(psi)!;
        _children.Add(p);
        return p;
    }

    private readonly List<System.Diagnostics.Process> _children = [];

    public void Dispose()
    {
        foreach (var c in _children)
        {
            try { c.Kill(entireProcessTree: true); c.WaitForExit(2000); } catch (InvalidOperationException) { }
            c.Dispose();
        }
        try { _process.Kill(); _process.WaitForExit(2000); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
