using System.Text;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Samples;

/// <summary>src/packaging/netnsfs@.service: systemd accepts it, and its command lines do what the
/// unit promises when run as systemd would run them (no systemd as PID 1 is needed: the commands
/// are taken from the unit, %f and ${NETNSFS_OPTIONS} expanded as systemd expands them).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SystemdUnitTests
{
    private static string UnitPath => Path.Combine(Netnsfs.RepoRoot, "src", "packaging", "netnsfs@.service");

    private static string BinDir => Path.GetDirectoryName(Path.GetFullPath(Netnsfs.Binary))!;

    /// <summary>The unit as `make install` writes it, with the netnsfs under test.</summary>
    private static string InstalledUnit() => File.ReadAllText(UnitPath).Replace("@BINDIR@", BinDir, StringComparison.Ordinal);

    [Test]
    public void Systemd_analyze_verify_accepts_an_instance_of_the_unit()
    {
        const string Analyze = "/usr/bin/systemd-analyze";
        if (!File.Exists(Analyze))
            Assert.Ignore("systemd-analyze is not installed (Debian package systemd)");
        using var tmp = new TempDir("unit");
        // systemd-analyze verify loads a template's instance from the template's file beside it.
        File.WriteAllText(Path.Combine(tmp.Path, "netnsfs@.service"), InstalledUnit());
        var escaped = Run.Process("systemd-escape", ["--path", "--template=netnsfs@.service", "/mnt/ns1"], TimeSpan.FromSeconds(30));
        Assert.That(escaped.Stdout.Trim(), Is.EqualTo("netnsfs@mnt-ns1.service"), "the instance name the README and the man page give");
        // --man=no: the man page is not installed here (the Documentation= link is checked otherwise).
        var r = Run.Process(Analyze, ["verify", "--man=no", Path.Combine(tmp.Path, "netnsfs@mnt-ns1.service")], TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stderr.Trim(), Is.Empty, r.ToString());
    }

    [Test]
    public void The_unit_declares_what_the_docs_say()
    {
        var unit = Parse(InstalledUnit());
        Assert.Multiple(() =>
        {
            Assert.That(unit["Type"], Is.EqualTo(new[] { "simple" }));
            Assert.That(unit["Environment"], Does.Contain("NETNSFS_OPTIONS=create"));
            Assert.That(unit["Documentation"], Does.Contain("man:netnsfs(8)"));
            Assert.That(unit["WantedBy"], Does.Contain("multi-user.target"));
            Assert.That(unit["ExecStart"].Single(), Does.Contain(" -f ").And.Contain("%f").And.Contain("${NETNSFS_OPTIONS}"));
            Assert.That(unit["LimitNOFILE"], Is.EqualTo(new[] { "524288" }), "each socket of each user is an fd of the daemon: not systemd's soft 1024");
            Assert.That(TimeoutStopSeconds(unit), Is.GreaterThan(DefaultStopTimeoutSeconds),
                "systemd waits longer than the daemon's own stop deadline, so the daemon resets held data itself, not SIGKILL");
        });
    }

    /// <summary>The daemon's default -o stop_timeout= (src/NetnsFs.Cli/DaemonHost.cs).</summary>
    private const int DefaultStopTimeoutSeconds = 5;

    private static int TimeoutStopSeconds(Dictionary<string, List<string>> unit)
    {
        string v = unit["TimeoutStopSec"].Single();
        return int.Parse(v.EndsWith('s') ? v[..^1] : v, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>`systemctl stop` of a mount with an open file whose socket holds answered writes and
    /// whose peer reads nothing: SIGTERM unmounts lazily, the file stays open, and the daemon must
    /// still end within TimeoutStopSec (exit 0), having reset the peer, so that systemd's SIGKILL
    /// never comes and no acknowledged byte is silently lost.</summary>
    [Test]
    public void Stop_with_an_open_file_holding_answered_writes_ends_within_TimeoutStopSec()
    {
        using var tmp = new TempDir("unitstop");
        string dir = Path.Combine(tmp.Path, "ns1");
        var unit = Parse(InstalledUnit());
        Background? main = null;
        try
        {
            main = StartAsSystemdWould(unit, dir, "create");
            var j = Sockets.HeldWritesKit.Run(Path.Combine(dir, "ns"), tmp, dir, main.Pid, "SIGTERM", 0);
            string? end = j.GetProperty("end").GetString();
            Assert.Multiple(() =>
            {
                Assert.That(j.GetProperty("held").GetInt32(), Is.EqualTo(1), "an answered write was held at the stop");
                Assert.That(j.GetProperty("exited").GetBoolean(), Is.True, main.ToString());
                Assert.That(j.GetProperty("seconds").GetDouble(), Is.LessThan(TimeoutStopSeconds(unit)), "before systemd would SIGKILL");
                Assert.That(end == "ECONNRESET" || (end == "eof" && j.GetProperty("received").GetInt64() == j.GetProperty("acked").GetInt64()), Is.True,
                    $"every answered byte delivered, or the peer reset: {j}");
                Assert.That(main.WaitExitCode(TimeSpan.FromSeconds(10)), Is.Zero, main.ToString());
                Assert.That(Mounts.IsMounted(dir), Is.False, "SIGTERM unmounted");
            });
        }
        finally
        {
            main?.Dispose();
            Mounts.Detach(dir);
        }
    }

    /// <summary>ExecStartPre, ExecStart (in the foreground), ExecStartPost (waits until the mount is
    /// live); then a stop as systemd does it (SIGTERM to the main process) unmounts, and the namespace
    /// was a fresh one; options come from NETNSFS_OPTIONS as a drop-in would set them.</summary>
    [Test]
    public void Start_and_stop_as_systemd_would_mount_and_unmount()
    {
        using var tmp = new TempDir("unitrun");
        string dir = Path.Combine(tmp.Path, "ns1"); // ExecStartPre makes it
        var unit = Parse(InstalledUnit());
        string options = "create,mode=0750";         // what a drop-in's Environment= would give
        Background? main = null;
        try
        {
            foreach (var pre in unit["ExecStartPre"])
                Assert.That(RunLine(pre, dir, options).ExitCode, Is.Zero, pre);
            Assert.That(Directory.Exists(dir), Is.True, "ExecStartPre made the mount point");

            var start = Expand(unit["ExecStart"].Single(), dir, options);
            main = new Background(start[0], start[1..], workingDirectory: "/");
            foreach (var post in unit["ExecStartPost"])
                Assert.That(RunLine(post, dir, options).ExitCode, Is.Zero, $"{post}: {main}");
            Assert.That(Mounts.Fuse().Single(m => m.Target == dir).Type, Is.EqualTo("fuse.netnsfs"));
            string status = File.ReadAllText(Path.Combine(dir, "status"));
            Assert.That(status, Does.Contain("origin=created").And.Contain("options=create,mode=0750").And.Contain($"pid={main.Pid}\n"),
                "the main process is the daemon (Type=simple, -f)");

            // systemctl stop: SIGTERM to the main process (KillMode=mixed), then ExecStopPost.
            Run.Checked(Run.Process("kill", ["-TERM", main.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10)));
            Assert.That(main.WaitExitCode(TimeSpan.FromSeconds(10)), Is.Zero, main.ToString());
            Assert.That(Mounts.IsMounted(dir), Is.False, "SIGTERM unmounted");
            foreach (var post in unit["ExecStopPost"])
                RunLine(post, dir, options);
            Assert.That(Mounts.IsMounted(dir), Is.False);
        }
        finally
        {
            main?.Dispose();
            Mounts.Detach(dir);
        }
    }

    /// <summary>A daemon killed outright leaves a dead mount; ExecStopPost removes it, so that the
    /// unit can start again.</summary>
    [Test]
    public void ExecStopPost_removes_the_mount_of_a_killed_daemon()
    {
        using var tmp = new TempDir("unitkill");
        string dir = Path.Combine(tmp.Path, "ns1");
        var unit = Parse(InstalledUnit());
        Background? main = null;
        try
        {
            main = StartAsSystemdWould(unit, dir, "create");
            Run.Checked(Run.Process("kill", ["-KILL", main.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10)));
            main.WaitExit(TimeSpan.FromSeconds(10));
            Assert.That(Mounts.IsMounted(dir), Is.True, "a dead mount stays");
            foreach (var post in unit["ExecStopPost"])
                RunLine(post, dir, "create");
            Assert.That(Mounts.IsMounted(dir), Is.False, "ExecStopPost removed the dead mount");
        }
        finally
        {
            main?.Dispose();
            Mounts.Detach(dir);
        }
    }

    /// <summary>ExecStartPre, ExecStart (the daemon in the foreground, as the unit's main process)
    /// and ExecStartPost of the unit, as systemd runs them for a start; each step must succeed.</summary>
    private static Background StartAsSystemdWould(Dictionary<string, List<string>> unit, string dir, string options)
    {
        foreach (var pre in unit["ExecStartPre"])
            Run.Checked(RunLine(pre, dir, options));
        var start = Expand(unit["ExecStart"].Single(), dir, options);
        var main = new Background(start[0], start[1..], workingDirectory: "/");
        try
        {
            foreach (var post in unit["ExecStartPost"])
                Assert.That(RunLine(post, dir, options).ExitCode, Is.Zero, main.ToString());
        }
        catch
        {
            main.Dispose();
            throw;
        }
        return main;
    }

    /// <summary>Key → values of the unit file (all sections; a key may repeat).</summary>
    private static Dictionary<string, List<string>> Parse(string unit)
    {
        var d = new Dictionary<string, List<string>>();
        foreach (var raw in unit.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';' or '[')
                continue;
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            string key = line[..eq];
            if (!d.TryGetValue(key, out var list))
                d[key] = list = [];
            list.Add(line[(eq + 1)..]);
        }
        return d;
    }

    /// <summary>A command line as systemd splits and expands it: quotes group words, %f is the
    /// instance path, ${NETNSFS_OPTIONS} one word, $$ a dollar; a leading '-' only ignores failure.</summary>
    private static string[] Expand(string line, string instancePath, string options)
    {
        var words = new List<string>();
        var w = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c is '\'' or '"')
            {
                int end = line.IndexOf(c, i + 1);
                w.Append(line, i + 1, end - i - 1);
                i = end;
                inWord = true;
            }
            else if (c == ' ')
            {
                if (inWord)
                    words.Add(w.ToString());
                w.Clear();
                inWord = false;
            }
            else
            {
                w.Append(c);
                inWord = true;
            }
        }
        if (inWord)
            words.Add(w.ToString());
        if (words[0].StartsWith('-'))
            words[0] = words[0][1..];
        return words.Select(x => x.Replace("%f", instancePath, StringComparison.Ordinal)
                .Replace("${NETNSFS_OPTIONS}", options, StringComparison.Ordinal)
                .Replace("$$", "$", StringComparison.Ordinal))
            .ToArray();
    }

    private static RunResult RunLine(string line, string instancePath, string options)
    {
        var words = Expand(line, instancePath, options);
        return Run.Process(words[0], words[1..], TimeSpan.FromSeconds(60));
    }
}
