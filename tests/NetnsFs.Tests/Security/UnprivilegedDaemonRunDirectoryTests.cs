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
    private const uint Uid = 1;
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
            using var m = new UserMount(Uid, tmp, "");
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
            using var m = new UserMount(Uid, tmp, "");
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
        using var m = new UserMount(Uid, tmp, "", xdg);
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
        using var m = new UserMount(Uid, tmp, "", xdg);
        Assert.That(m.Result.ExitCode, Is.Zero, m.Result.ToString());
        string socketPath = Run.Checked(AsUser("readlink", Path.Combine(m.Dir, "handoff"))).Stdout.Trim();
        Assert.That(Path.GetDirectoryName(Path.GetDirectoryName(socketPath)), Is.EqualTo(Path.Combine(xdg, "netnsfs")), socketPath);
    }

    private static RunResult AsUser(params string[] command) =>
        Run.Process("setpriv", [$"--reuid={User}", $"--regid={User}", "--clear-groups", "--", .. command]);

    private static void RemoveParent() => Run.Process("rm", ["-rf", "--one-file-system", Parent]);
}
