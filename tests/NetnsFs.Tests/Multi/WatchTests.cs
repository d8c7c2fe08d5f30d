using System.Globalization;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Multi;

/// <summary>-o multi,watch=PINDIR: namespaces pinned in PINDIR appear and go with their pins.
/// Each test pins in a directory of its own, as `ip netns add` and CNI do (a file, then a bind
/// mount of a namespace onto it: util-linux `unshare --net=FILE`), except the one that runs
/// `ip netns add` itself against /run/netns.</summary>
public sealed class WatchTests
{
    /// <summary>A pin directory of the test's own, and its pins, gone (unmounted, removed) on dispose.</summary>
    private sealed class PinDir : IDisposable
    {
        private readonly TempDir _tmp = new("pins");

        public string Path => _tmp.Path;

        /// <summary>A new namespace (lo up) pinned as <paramref name="name"/>.</summary>
        public string Pin(string name)
        {
            string file = System.IO.Path.Combine(Path, name);
            File.WriteAllBytes(file, []); // the file first, then the bind mount onto it, as ip netns add does
            Run.Checked(Run.Process("unshare", [$"--net={file}", "ip", "link", "set", "lo", "up"]));
            return file;
        }

        /// <summary>Many at once: one shell, so that hundreds cost one process start each, not two.</summary>
        public void PinMany(IEnumerable<string> names) =>
            Run.Checked(Run.Bash(string.Join('\n', names.Select(n => $"f='{System.IO.Path.Combine(Path, n)}'; : > \"$f\" && unshare --net=\"$f\" true || exit 1")), TimeSpan.FromSeconds(120)));

        /// <summary>What `ip netns del` does: unmount the pin, remove the file.</summary>
        public void Unpin(string name)
        {
            string file = System.IO.Path.Combine(Path, name);
            Run.Checked(Run.Process("umount", ["-l", file])); // MNT_DETACH, as ip netns del and CNI do: the mount holds the pin open
            File.Delete(file);
        }

        public void Dispose()
        {
            Run.Bash($"for f in '{Path}'/*; do umount -l \"$f\" 2>/dev/null; done; umount -l '{Path}' 2>/dev/null; true");
            _tmp.Dispose();
        }
    }

    private static bool Shown(NetnsfsMount m, string name) => Directory.Exists(Path.Combine(m.Dir, name));

    [Test]
    public void A_pin_appears_at_once_and_goes_with_its_pin_while_its_open_socket_keeps_working()
    {
        using var pins = new PinDir();
        pins.Pin("before");
        using var m = new NetnsfsMount($"multi,watch={pins.Path}");
        Assert.That(Shown(m, "before"), Is.True, "a pin there at mount time is shown");
        string pinned = pins.Pin("blue");
        Assert.That(Await.Eventually(() => Shown(m, "blue"), TimeSpan.FromSeconds(5)), Is.True, "a new pin appears (inotify)");
        // A conversation inside the pinned namespace, open while the pin goes.
        using var server = new Background("nsenter", [$"--net={pinned}", "--", Run.Python3, "-u", "-c",
            "import socket\ns = socket.socket(); s.bind(('127.0.0.1', 7811)); s.listen(); print('ready', flush=True)\nc, _ = s.accept()\nwhile True:\n    d = c.recv(100)\n    if not d: break\n    c.sendall(d)"]);
        server.WaitLine(l => l == "ready", TimeSpan.FromSeconds(20));
        using var conn = new FileStream(Path.Combine(m.Dir, "blue/tcp/127.0.0.1/7811"), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1);
        conn.Write("one"u8);
        Assert.That(ReadSome(conn), Is.EqualTo("one"));
        pins.Unpin("blue");
        Assert.That(Await.Eventually(() => !Shown(m, "blue"), TimeSpan.FromSeconds(5)), Is.True, "the directory goes with its pin");
        conn.Write("two"u8);
        Assert.That(ReadSome(conn), Is.EqualTo("two"), "the socket opened before lives on: the mount held the namespace, and the kernel the socket");
        Assert.That(Shown(m, "before"), Is.True, "and only that one went");
    }

    private static string ReadSome(FileStream s)
    {
        var buf = new byte[100];
        int n = s.Read(buf);
        return System.Text.Encoding.UTF8.GetString(buf, 0, n);
    }

    [Test]
    public void A_name_outside_mkdirs_characters_is_shown_as_it_is_and_a_file_that_is_no_namespace_is_skipped_with_one_line()
    {
        using var pins = new PinDir();
        using var tmp = new TempDir("watchlog");
        string log = Path.Combine(tmp.Path, "log");
        using var m = new NetnsfsMount($"multi,watch={pins.Path},log={log}");
        const string odd = "cni-7f3e 9:ünï";
        pins.Pin(odd);
        File.WriteAllText(Path.Combine(pins.Path, "not-a-namespace"), "just a file\n");
        Assert.That(Await.Eventually(() => Shown(m, odd), TimeSpan.FromSeconds(5)), Is.True, "any name a file can have");
        Assert.That(File.ReadAllText(Path.Combine(m.Dir, odd, "status")), Does.Contain("netns_inode="));
        Assert.That(Await.Eventually(() => File.ReadAllText(log).Contains("not-a-namespace is not a network namespace", StringComparison.Ordinal), TimeSpan.FromSeconds(5)), Is.True);
        Thread.Sleep(600); // past the retries a pin gets while its bind mount comes
        Assert.That(File.ReadAllLines(log).Count(l => l.Contains("not-a-namespace", StringComparison.Ordinal)), Is.EqualTo(1), "one line for it");
        Assert.That(Shown(m, "not-a-namespace"), Is.False);
        var rmdir = Run.Process("rmdir", [Path.Combine(m.Dir, odd)]);
        Assert.That(rmdir.Stderr, Does.Contain("busy"), "a pinned namespace goes with its pin, not by rmdir: " + rmdir);
        var mkdir = Run.Process("mkdir", [Path.Combine(m.Dir, "blue")]);
        Assert.That(mkdir.Stderr, Does.Contain("Operation not permitted"), "names are the pins': one made first would hide a pin: " + mkdir);
    }

    [Test]
    public void Hundreds_of_pins_come_and_go()
    {
        const int count = 300;
        using var pins = new PinDir();
        using var m = new NetnsfsMount($"multi,watch={pins.Path}");
        var names = Enumerable.Range(0, count).Select(i => "cni-" + i.ToString("D4", CultureInfo.InvariantCulture)).ToList();
        pins.PinMany(names);
        Assert.That(Await.Eventually(() => Directory.GetDirectories(m.Dir).Length == count, TimeSpan.FromSeconds(30)), Is.True,
            $"{Directory.GetDirectories(m.Dir).Length} of {count} shown");
        Run.Checked(Run.Bash($"cd '{pins.Path}' && for f in cni-*; do umount -l \"$f\" && rm \"$f\" || exit 1; done", TimeSpan.FromSeconds(120)));
        Assert.That(Await.Eventually(() => Directory.GetDirectories(m.Dir).Length == 0, TimeSpan.FromSeconds(30)), Is.True,
            $"{Directory.GetDirectories(m.Dir).Length} left");
    }

    /// <summary>The default: /run/netns, with `ip netns add` and `ip netns del` themselves.</summary>
    [Test]
    [NonParallelizable]
    public void Watch_alone_follows_ip_netns_in_run_netns()
    {
        string name = "watch-" + Guid.NewGuid().ToString("N")[..8];
        using var m = new NetnsfsMount("multi,watch");
        try
        {
            Run.Checked(Run.Process("ip", ["netns", "add", name]));
            Assert.That(Await.Eventually(() => Shown(m, name), TimeSpan.FromSeconds(5)), Is.True, "ip netns add: shown at once");
            Run.Checked(Run.Process("ip", ["netns", "del", name]));
            Assert.That(Await.Eventually(() => !Shown(m, name), TimeSpan.FromSeconds(5)), Is.True, "ip netns del: gone");
        }
        finally
        {
            Run.Process("ip", ["netns", "del", name]);
        }
    }

    /// <summary>The attacker sets root's PINDIR: a symlink in its path, or a directory another
    /// user may write, is refused before root follows, bind-mounts or opens anything there.</summary>
    [Test]
    public void A_pin_directory_another_user_could_change_is_refused()
    {
        using var tmp = new TempDir("watchbad");
        string userDir = tmp.Sub("user");
        Run.Checked(Run.Process("chown", ["1234:1234", userDir]));
        string target = tmp.Sub("rootonly");
        string link = Path.Combine(userDir, "pins");
        Run.Checked(Run.Process("setpriv", ["--reuid=1234", "--regid=1234", "--clear-groups", "--", "ln", "-s", target, link]));
        string writable = tmp.Sub("open");
        File.SetUnixFileMode(writable, (UnixFileMode)0x1FF);
        foreach (var pinDir in new[] { link, writable })
        {
            using var mnt = new TempDir("watchmnt");
            var r = Run.Process(Netnsfs.Binary, ["netnsfs", mnt.Path, "-o", $"multi,watch={pinDir}"]);
            Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
            Assert.That(r.Stderr, Does.Contain($"watch={pinDir}"), r.ToString());
            Assert.That(Mounts.IsMounted(mnt.Path), Is.False);
        }
        Assert.That(Run.Process("findmnt", [target]).ExitCode, Is.Not.Zero, "nothing bind-mounted at the symlink's target");
    }

    [Test]
    public void Watch_without_multi_is_a_usage_error()
    {
        using var tmp = new TempDir("watch");
        var r = Run.Process(Netnsfs.Binary, ["netnsfs", tmp.Path, "-o", "create,watch"]);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain("'watch' is for multi mounts only"));
        var relative = Run.Process(Netnsfs.Binary, ["netnsfs", tmp.Path, "-o", "multi,watch=run/netns"]);
        Assert.That(relative.ExitCode, Is.EqualTo(2), relative.ToString());
    }
}
