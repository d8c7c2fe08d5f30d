using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Security;

/// <summary>Issue 17 item 12: a non-root daemon without XDG_RUNTIME_DIR puts its run directory under
/// /tmp/netnsfs-UID, a name any user can predict and make first. Played for real: the daemon runs as
/// Debian's "daemon" user, uid 1 (fusermount3 needs a passwd entry for the mounter, and base-passwd
/// has this one everywhere), the attacker is nobody. /dev/fuse is opened to all for the test (Debian's
/// udev makes it 0666; this VM has 0600) and its mode restored after.</summary>
[NonParallelizable]
public sealed class UnprivilegedDaemonRunDirectoryTests
{
    private const string User = "1";
    private const string Parent = "/tmp/netnsfs-" + User;

    [Test]
    public void A_run_parent_made_first_by_another_user_makes_the_daemon_refuse_to_start()
    {
        using var tmp = new TempDir("urun");
        using var fuse = new FuseDeviceOpenToAll();
        RemoveParent();
        try
        {
            // nobody makes the directory the daemon of uid 1 will use, open to all.
            Run.Checked(Run.Process("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", "mkdir", "-m", "0777", Parent]));
            using var m = new UserMount(tmp, "");
            Assert.That(m.Result.ExitCode, Is.EqualTo(1), $"the daemon must not serve from a directory nobody owns: {m.Result}");
            Assert.That(m.Result.Stderr, Does.Contain(Parent).And.Contain("refusing"), m.Result.ToString());
            Assert.That(Directory.GetFileSystemEntries(Parent), Is.Empty, "nothing of the daemon's lies in nobody's directory");
        }
        finally
        {
            RemoveParent();
        }
    }

    [Test]
    public void Without_XDG_RUNTIME_DIR_the_daemon_makes_a_run_parent_of_its_own_and_serves_from_it()
    {
        using var tmp = new TempDir("urun");
        using var fuse = new FuseDeviceOpenToAll();
        RemoveParent();
        try
        {
            using var m = new UserMount(tmp, "");
            Assert.That(m.Result.ExitCode, Is.Zero, m.Result.ToString());
            // Without allow_other only the mounter may look into the mount (root included).
            string socketPath = Run.Checked(AsUser("readlink", Path.Combine(m.Dir, "handoff"))).Stdout.Trim();
            string runDir = Path.GetDirectoryName(socketPath)!;
            Assert.That(Path.GetDirectoryName(runDir), Is.EqualTo(Parent));
            foreach (var d in new[] { Parent, runDir })
            {
                Assert.That(Run.Checked(Run.Process("stat", ["-c", "%u %a %F", d])).Stdout.Trim(), Is.EqualTo($"{User} 755 directory"), d);
            }
            // The daemon's own user gets sockets (the client trusts the server: it owns the mount).
            string ask = SocketKit.WriteFile(tmp, "ask.py", "import sys, netnsfs\nprint(netnsfs.socket(sys.argv[1], 'inet;stream;tcp').family)\n");
            var r = Run.Process("setpriv", [$"--reuid={User}", $"--regid={User}", "--clear-groups", "--", Run.Python3, "-u", ask, m.Dir], env: ClientModules.PythonPath(tmp));
            Assert.That(r.ExitCode, Is.Zero, r.ToString());
            Assert.That(r.Stdout.Trim(), Is.EqualTo("2"), r.ToString());
            m.Dispose();
            Assert.That(Directory.Exists(runDir), Is.False, "removed with the mount");
        }
        finally
        {
            RemoveParent();
        }
    }

    /// <summary>$XDG_RUNTIME_DIR gets the same checks: one that another user may write is refused.</summary>
    [Test]
    public void An_XDG_RUNTIME_DIR_another_user_can_write_makes_the_daemon_refuse_to_start()
    {
        using var tmp = new TempDir("urun");
        using var fuse = new FuseDeviceOpenToAll();
        string xdg = tmp.Sub("xdg");
        Run.Checked(Run.Process("chown", ["65534:65534", xdg]));
        File.SetUnixFileMode(xdg, (UnixFileMode)0x1FF);
        using var m = new UserMount(tmp, "", xdg);
        Assert.That(m.Result.ExitCode, Is.EqualTo(1), $"the daemon must not serve from a directory nobody owns: {m.Result}");
        Assert.That(m.Result.Stderr, Does.Contain(xdg).And.Contain("refusing"), m.Result.ToString());
        Assert.That(Directory.GetFileSystemEntries(xdg), Is.Empty, "nothing of the daemon's lies in nobody's directory");
    }

    [Test]
    public void A_private_XDG_RUNTIME_DIR_holds_the_run_directory()
    {
        using var tmp = new TempDir("urun");
        using var fuse = new FuseDeviceOpenToAll();
        string xdg = tmp.Sub("xdg");
        Run.Checked(Run.Process("chown", [$"{User}:{User}", xdg]));
        File.SetUnixFileMode(xdg, (UnixFileMode)0x1C0);
        using var m = new UserMount(tmp, "", xdg);
        Assert.That(m.Result.ExitCode, Is.Zero, m.Result.ToString());
        string socketPath = Run.Checked(AsUser("readlink", Path.Combine(m.Dir, "handoff"))).Stdout.Trim();
        Assert.That(Path.GetDirectoryName(Path.GetDirectoryName(socketPath)), Is.EqualTo(Path.Combine(xdg, "netnsfs")), socketPath);
    }

    private static RunResult AsUser(params string[] command) =>
        Run.Process("setpriv", [$"--reuid={User}", $"--regid={User}", "--clear-groups", "--", .. command]);

    private static void RemoveParent() => Run.Process("rm", ["-rf", "--one-file-system", Parent]);

    /// <summary>/dev/fuse at 0666 until disposed, then back to its mode.</summary>
    private sealed class FuseDeviceOpenToAll : IDisposable
    {
        private readonly UnixFileMode _mode = File.GetUnixFileMode("/dev/fuse");

        public FuseDeviceOpenToAll() => File.SetUnixFileMode("/dev/fuse", _mode | (UnixFileMode)0x1B6);

        public void Dispose() => File.SetUnixFileMode("/dev/fuse", _mode);
    }

    /// <summary>A mount made by the netnsfs binary run as uid 1 without HOME, and without XDG_RUNTIME_DIR unless given,
    /// on a mount point of its own. Dispose unmounts (as root) and waits for the daemon.</summary>
    private sealed class UserMount : IDisposable
    {
        private int _daemonPid;

        public UserMount(TempDir tmp, string options, string? xdgRuntimeDir = null)
        {
            Dir = tmp.Sub("mnt");
            Run.Checked(Run.Process("chown", [$"{User}:{User}", Dir]));
            string bin = BinaryFor(tmp);
            Result = Run.Process("setpriv", [$"--reuid={User}", $"--regid={User}", "--clear-groups", "--",
                "env", "-u", "XDG_RUNTIME_DIR", "-u", "HOME", .. xdgRuntimeDir is null ? Array.Empty<string>() : [$"XDG_RUNTIME_DIR={xdgRuntimeDir}"], bin, "netnsfs", Dir, .. options.Length > 0 ? new[] { "-o", options } : []], TimeSpan.FromSeconds(30));
            if (Result.ExitCode == 0)
            {
                string pid = Run.Checked(AsUser("cat", Path.Combine(Dir, "status"))).Stdout.Split('\n').First(l => l.StartsWith("pid=", StringComparison.Ordinal))[4..];
                _daemonPid = int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        public string Dir { get; }

        public RunResult Result { get; }

        /// <summary>The binary under test, or a copy of its directory that uid 1 can run (a
        /// clone may be where only root may enter).</summary>
        private static string BinaryFor(TempDir tmp)
        {
            string bin = Netnsfs.Binary;
            // Through env: setpriv itself still holds root's capabilities when it execs, so it can
            // reach a binary its target user cannot; the daemon's own exec (by env) must.
            if (Run.Process("setpriv", [$"--reuid={User}", $"--regid={User}", "--clear-groups", "--", "env", bin, "--version"]).ExitCode == 0)
                return bin;
            string copy = tmp.Sub("bin");
            Run.Checked(Run.Process("cp", ["-a", Path.GetDirectoryName(bin) + "/.", copy]));
            Run.Checked(Run.Process("chmod", ["-R", "a+rX", copy]));
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
}
