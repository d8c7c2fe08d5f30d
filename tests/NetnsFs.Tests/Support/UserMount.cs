namespace NetnsFs.Tests.Support;

/// <summary>/dev/fuse at 0666 until disposed, then back to its mode: what Debian's udev rules give
/// every machine (this VM's devtmpfs has 0600). Tests that use it are NonParallelizable.</summary>
public sealed class FuseDeviceOpenToAll : IDisposable
{
    private readonly UnixFileMode _mode = File.GetUnixFileMode("/dev/fuse");

    public FuseDeviceOpenToAll() => File.SetUnixFileMode("/dev/fuse", _mode | (UnixFileMode)0x1B6);

    public void Dispose() => File.SetUnixFileMode("/dev/fuse", _mode);
}

/// <summary>A mount made by the netnsfs binary run as a given uid (through setpriv, no
/// groups, no capabilities) without HOME, and without XDG_RUNTIME_DIR unless given, on a mount point
/// of its own. Dispose unmounts (as root) and waits for the daemon. fusermount3 needs a passwd
/// entry for the mounter: uid 1 (Debian's "daemon") has one everywhere.</summary>
public sealed class UserMount : IDisposable
{
    private readonly uint _uid;
    private int _daemonPid;

    public UserMount(uint uid, TempDir tmp, string options, string? xdgRuntimeDir = null, string dirName = "mnt")
    {
        _uid = uid;
        Dir = tmp.Sub(dirName);
        Run.Checked(Run.Process("chown", [$"{uid}:{uid}", Dir]));
        Binary = BinaryFor(uid, tmp);
        Result = Run.Process("setpriv", [.. Setpriv(uid), "--",
            "env", "-u", "XDG_RUNTIME_DIR", "-u", "HOME", .. xdgRuntimeDir is null ? Array.Empty<string>() : [$"XDG_RUNTIME_DIR={xdgRuntimeDir}"], Binary, "netnsfs", Dir, .. options.Length > 0 ? new[] { "-o", options } : []], TimeSpan.FromSeconds(30));
        if (Result.ExitCode == 0)
            _daemonPid = int.Parse(StatusOf(Dir)["pid"], System.Globalization.CultureInfo.InvariantCulture);
    }

    public string Dir { get; }

    /// <summary>The binary as the user runs it.</summary>
    public string Binary { get; }

    public RunResult Result { get; }

    public int DaemonPid => _daemonPid;

    /// <summary>A command run as the mount's user.</summary>
    public RunResult AsOwner(params string[] command) => Run.Process("setpriv", [.. Setpriv(_uid), "--", .. command], TimeSpan.FromSeconds(60));

    /// <summary>The status file of a directory of this mount, read as its user (without allow_other
    /// only the mounter may look in, root included).</summary>
    public Dictionary<string, string> StatusOf(string dir) =>
        Run.Checked(AsOwner("cat", Path.Combine(dir, "status"))).Stdout.Split('\n')
            .Where(l => l.Contains('=', StringComparison.Ordinal))
            .Select(l => l.Split('=', 2))
            .GroupBy(kv => kv[0])
            .ToDictionary(g => g.Key, g => g.First()[1]);

    private static string[] Setpriv(uint uid) => [$"--reuid={uid}", $"--regid={uid}", "--clear-groups"];

    /// <summary>The binary under test, or a copy of its directory that the user can run (a clone
    /// may be where only root may enter).</summary>
    public static string BinaryFor(uint uid, TempDir tmp)
    {
        string bin = Netnsfs.Binary;
        // Through env: setpriv itself still holds root's capabilities when it execs, so it can
        // reach a binary its target user cannot; the daemon's own exec (by env) must.
        if (Run.Process("setpriv", [.. Setpriv(uid), "--", "env", bin, "--version"]).ExitCode == 0)
            return bin;
        string copy = Path.Combine(tmp.Path, "bin");
        if (!Directory.Exists(copy))
        {
            Directory.CreateDirectory(copy);
            Run.Checked(Run.Process("cp", ["-a", Path.GetDirectoryName(bin) + "/.", copy]));
            Run.Checked(Run.Process("chmod", ["-R", "a+rX", copy]));
        }
        return Path.Combine(copy, Path.GetFileName(bin));
    }

    public void Dispose()
    {
        if (Mounts.IsMounted(Dir))
            Mounts.Detach(Dir);
        if (_daemonPid != 0 && !Processes.WaitGone(_daemonPid, TimeSpan.FromSeconds(5)))
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(_daemonPid).Kill();
            }
            catch (ArgumentException)
            {
            }
            Processes.WaitGone(_daemonPid, TimeSpan.FromSeconds(2));
        }
        _daemonPid = 0;
    }
}

/// <summary>A file put in place until disposed, then the one that was there (or none): an fstab
/// line, a mount helper. Tests that use it are NonParallelizable.</summary>
public sealed class SystemFile : IDisposable
{
    private readonly string _path;
    private readonly byte[]? _before;
    private readonly UnixFileMode _mode;

    public SystemFile(string path, string content, UnixFileMode mode)
    {
        _path = path;
        _before = File.Exists(path) ? File.ReadAllBytes(path) : null;
        _mode = _before is null ? mode : File.GetUnixFileMode(path);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
    }

    /// <summary>The file as it was, with <paramref name="line"/> added.</summary>
    public static SystemFile WithLine(string path, string line) =>
        new(path, (File.Exists(path) ? File.ReadAllText(path).TrimEnd('\n') + "\n" : "") + line + "\n", File.Exists(path) ? File.GetUnixFileMode(path) : (UnixFileMode)0x1A4);

    public void Dispose()
    {
        if (_before is null)
        {
            File.Delete(_path);
            return;
        }
        File.WriteAllBytes(_path, _before);
        File.SetUnixFileMode(_path, _mode);
    }
}
