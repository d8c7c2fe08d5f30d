using System.Text.Json;
using NetnsFs.Client;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Security;

/// <summary>Issue 17: nothing a mount user can write lies on a path root follows. The run directory
/// (/run/netnsfs/PID, where the handoff sockets are bound) is root's and writable by nobody else,
/// whatever mode= and gid= say; its users may connect to the socket, never replace it.</summary>
public sealed class RunDirectoryTests
{
    /// <summary>Tries, as whoever runs it, every way to change the directory: create, symlink,
    /// mkdir, rename and unlink of the handoff socket. Prints one JSON object: op -> "ok" or errno name.</summary>
    private const string TamperPy = """
        import errno, json, os, sys
        d = sys.argv[1]
        sock = os.path.join(d, 'handoff')
        out = {}
        def attempt(name, f):
            try:
                f()
                out[name] = 'ok'
            except OSError as e:
                out[name] = errno.errorcode.get(e.errno, str(e.errno))
        attempt('create', lambda: os.close(os.open(os.path.join(d, 'planted'), os.O_CREAT | os.O_WRONLY, 0o600)))
        attempt('symlink', lambda: os.symlink('/etc/shadow', os.path.join(d, 'link')))
        attempt('mkdir', lambda: os.mkdir(os.path.join(d, 'sub')))
        attempt('rename', lambda: os.rename(sock, os.path.join(d, 'moved')))
        attempt('unlink', lambda: os.unlink(sock))
        print(json.dumps(out))
        """;

    private static string RunDirOf(NetnsfsMount m) => Path.GetDirectoryName(File.ResolveLinkTarget(m["handoff"], false)!.FullName)!;

    private static Dictionary<string, string> TamperAs(TempDir tmp, string uid, string gid, string runDir)
    {
        string script = SocketKit.WriteFile(tmp, "tamper.py", TamperPy);
        var r = Run.Process("setpriv", [$"--reuid={uid}", $"--regid={gid}", "--clear-groups", "--", Run.Python3, "-u", script, runDir]);
        return SocketKit.Json(r).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    /// <summary>Every attempt failed with EACCES, the directory is root's 0755, and root still gets sockets.</summary>
    private static void AssertUntouched(NetnsfsMount m, string runDir, Dictionary<string, string> tried)
    {
        Assert.That(tried, Is.EqualTo(new Dictionary<string, string>
        {
            ["create"] = "EACCES",
            ["symlink"] = "EACCES",
            ["mkdir"] = "EACCES",
            ["rename"] = "EACCES",
            ["unlink"] = "EACCES",
        }), JsonSerializer.Serialize(tried));
        Assert.That(File.GetUnixFileMode(runDir), Is.EqualTo((UnixFileMode)0x1ED), "drwxr-xr-x");
        var st = FileStatusOf(runDir);
        Assert.That((st.Uid, st.Gid), Is.EqualTo((0u, 0u)), "owned by the daemon's euid, never chowned to the mount's owner or group");
        using var s = NetnsSocket.Open(m.Dir, "inet;stream;tcp");
        Assert.That(s.Handle, Is.Not.Zero, "the daemon's own socket is still there");
    }

    private static (uint Uid, uint Gid) FileStatusOf(string path)
    {
        var r = Run.Checked(Run.Process("stat", ["-c", "%u %g", path]));
        var f = r.Stdout.Trim().Split(' ');
        return (uint.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture), uint.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Test]
    public void Nobody_cannot_change_the_run_directory_of_an_allow_other_mode_0777_mount()
    {
        using var tmp = new TempDir("rund");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        string runDir = RunDirOf(m);
        AssertUntouched(m, runDir, TamperAs(tmp, "65534", "65534", runDir));
    }

    [Test]
    public void A_member_of_the_mount_group_cannot_change_the_run_directory_of_a_gid_mode_0770_mount()
    {
        using var tmp = new TempDir("rund");
        using var m = new NetnsfsMount("create,allow_other,gid=4321,mode=0770");
        string runDir = RunDirOf(m);
        AssertUntouched(m, runDir, TamperAs(tmp, "1234", "4321", runDir));
        // The group still reaches the socket: its file carries the mount's group and bits.
        string socketPath = Path.Combine(runDir, "handoff");
        Assert.That(FileStatusOf(socketPath), Is.EqualTo((0u, 4321u)));
        Assert.That(File.GetUnixFileMode(socketPath), Is.EqualTo((UnixFileMode)0x1B0), "srw-rw----");
        string ask = SocketKit.WriteFile(tmp, "ask.py", "import sys, netnsfs\nprint(netnsfs.socket(sys.argv[1], 'inet;stream;tcp').family)\n");
        var r = Run.Process("setpriv", ["--reuid=1234", "--regid=4321", "--clear-groups", "--", Run.Python3, "-u", ask, m.Dir], env: ClientModules.PythonPath(tmp));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Trim(), Is.EqualTo("2"), "a member gets sockets through the handoff");
    }

    /// <summary>Run directories of dead daemons are removed at the next start only when they are real
    /// directories of the daemon's own euid: a symlink or another user's directory stays (and what a
    /// symlink points to is never touched).</summary>
    [Test]
    public void Stale_run_directories_are_removed_only_when_they_are_the_daemons_own_real_directories()
    {
        using var tmp = new TempDir("rund");
        Directory.CreateDirectory("/run/netnsfs");
        // Pids above pid_max: no daemon can be alive with them.
        string ours = "/run/netnsfs/999999991", others = "/run/netnsfs/999999992", link = "/run/netnsfs/999999993";
        string victim = tmp.Sub("victim");
        File.WriteAllText(Path.Combine(victim, "keep"), "x");
        try
        {
            Directory.CreateDirectory(ours);
            File.WriteAllText(Path.Combine(ours, "handoff"), "");
            Directory.CreateDirectory(others);
            File.WriteAllText(Path.Combine(others, "keep"), "");
            Run.Checked(Run.Process("chown", ["-R", "65534:65534", others]));
            File.CreateSymbolicLink(link, victim);

            using var m = new NetnsfsMount("create");
            Assert.Multiple(() =>
            {
                Assert.That(Directory.Exists(ours), Is.False, "a dead daemon's directory of ours goes");
                Assert.That(File.Exists(Path.Combine(others, "keep")), Is.True, "another user's directory is not root's to remove");
                Assert.That(File.Exists(Path.Combine(victim, "keep")), Is.True, "a symlink is never followed");
                Assert.That(m.DaemonAlive, Is.True);
            });
        }
        finally
        {
            File.Delete(link);
            if (Directory.Exists(ours))
                Directory.Delete(ours, true);
            if (Directory.Exists(others))
                Directory.Delete(others, true);
        }
    }
}
