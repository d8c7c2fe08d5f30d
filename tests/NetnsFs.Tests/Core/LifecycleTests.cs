using System.Diagnostics;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Core;

/// <summary>A mount's namespace lives exactly as long as the mount; mount(8) can make one.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LifecycleTests
{
    [Test]
    public void Unmounting_a_created_namespace_destroys_it_and_its_veth_pair()
    {
        string id = Host.ShortId();
        string hostSide = $"vh-{id}";
        string nsSide = $"vn-{id}";
        try
        {
            using var m = new NetnsfsMount("create");
            Run.Checked(Run.Process("ip", ["link", "add", hostSide, "type", "veth", "peer", "name", nsSide], TimeSpan.FromSeconds(10)));
            // The mount's ns file is the namespace: ip(8) takes it as a path.
            Run.Checked(Run.Process("ip", ["link", "set", "dev", nsSide, "netns", m["ns"]], TimeSpan.FromSeconds(10)));

            Assert.That(Host.LinkExists(hostSide), Is.True, "host side stays in the host namespace");
            Assert.That(Host.LinkExists(nsSide), Is.False, "the peer left the host namespace");
            var inside = Run.Process("nsenter", [$"--net={m["ns"]}", "ip", "-o", "link", "show", "dev", nsSide], TimeSpan.FromSeconds(10));
            Assert.That(inside.ExitCode, Is.Zero, "the peer is in the mount's namespace: " + inside);

            var umount = Run.Process("umount", [m.Dir], TimeSpan.FromSeconds(10));
            Assert.That(umount.ExitCode, Is.Zero, umount.ToString());
            var sw = Stopwatch.StartNew();
            bool gone = Await.Eventually(() => !Host.LinkExists(hostSide), TimeSpan.FromSeconds(2));
            Assert.That(gone, Is.True, $"{hostSide} still exists 2 s after umount: the namespace outlived its mount");
            TestContext.Progress.WriteLine($"{hostSide} gone {sw.ElapsedMilliseconds} ms after umount");
            Assert.That(m.WaitDaemonExit(TimeSpan.FromSeconds(5)), Is.True, "the daemon exits with its mount");
        }
        finally
        {
            Host.DeleteLink(hostSide);
        }
    }

    private const string Helper = "/sbin/mount.fuse.netnsfs";

    [Test]
    public void Mount_t_fuse_netnsfs_through_the_sample_helper()
    {
        string bindir = Path.GetDirectoryName(Path.GetFullPath(Netnsfs.Binary))!;
        Assert.That(File.Exists(Path.Combine(bindir, "netnsfs")), Is.True, $"netnsfs binary in {bindir}");
        string sample = File.ReadAllText(Path.Combine(Netnsfs.RepoRoot, "samples", "mount.fuse.netnsfs"));
        Assert.That(sample, Does.Contain("@BINDIR@"));

        // Install the helper for this test only; put back whatever was there.
        byte[]? previous = File.Exists(Helper) ? File.ReadAllBytes(Helper) : null;
        var previousMode = previous is null ? default : File.GetUnixFileMode(Helper);
        using var tmp = new TempDir("mountpoint");
        using var logs = new TempDir("mountlogs");
        int daemon = 0;
        try
        {
            File.WriteAllText(Helper, sample.Replace("@BINDIR@", bindir, StringComparison.Ordinal));
            File.SetUnixFileMode(Helper, (UnixFileMode)Convert.ToInt32("755", 8));

            // From /, so that mount(8) does not take SOURCE "netnsfs" for a file of the working
            // directory; output to files, so that this test does not depend on what the daemon
            // inherits (see The_daemon_does_not_hold_its_starters_output_open).
            string log = Path.Combine(logs.Path, "mount.out");
            var mount = Run.Bash($"cd / && mount -t fuse.netnsfs netnsfs '{tmp.Path}' -o create >'{log}' 2>&1", TimeSpan.FromSeconds(30));
            Assert.That(mount.ExitCode, Is.Zero, mount + File.ReadAllText(log));
            var entry = Mounts.Fuse().Single(e => e.Target == tmp.Path);
            Assert.That(entry.Type, Is.EqualTo("fuse.netnsfs"));
            Assert.That(entry.Source, Is.EqualTo("netnsfs"));

            var status = File.ReadAllLines(Path.Combine(tmp.Path, "status"))
                .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
            Assert.That(status["origin"], Is.EqualTo("created"));
            Assert.That(status["mountpoint"], Is.EqualTo(tmp.Path));
            daemon = int.Parse(status["pid"], System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(Processes.IsAlive(daemon), Is.True);

            var umount = Run.Process("umount", [tmp.Path], TimeSpan.FromSeconds(10));
            Assert.That(umount.ExitCode, Is.Zero, umount.ToString());
            Assert.That(Mounts.IsMounted(tmp.Path), Is.False);
            Assert.That(Processes.WaitGone(daemon, TimeSpan.FromSeconds(5)), Is.True, "the daemon exits after umount");
        }
        finally
        {
            if (Mounts.IsMounted(tmp.Path))
                Mounts.Detach(tmp.Path);
            if (daemon != 0 && !Processes.WaitGone(daemon, TimeSpan.FromSeconds(5)))
            {
                try { Process.GetProcessById(daemon).Kill(); } catch (ArgumentException) { }
            }
            if (previous is null)
            {
                File.Delete(Helper);
            }
            else
            {
                File.WriteAllBytes(Helper, previous);
                File.SetUnixFileMode(Helper, previousMode);
            }
        }
    }

    /// <summary>netnsfs returns once the mount is live, and its caller's output must then end:
    /// `out=$(netnsfs ...)`, `netnsfs ... | logger` or a supervisor capturing output must not wait
    /// for the daemon to exit.</summary>
    [Test]
    public void The_daemon_does_not_hold_its_starters_output_open()
    {
        using var tmp = new TempDir("mountpoint");
        var psi = new ProcessStartInfo(Netnsfs.Binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "netnsfs", tmp.Path, "-o", "create" })
            psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            Assert.That(p.WaitForExit(TimeSpan.FromSeconds(30)), Is.True, "netnsfs returns");
            Assert.That(p.ExitCode, Is.Zero);
            Assert.That(Mounts.IsMounted(tmp.Path), Is.True);
            var daemons = Host.DaemonsFor(tmp.Path);
            string holders = string.Join(", ", daemons.Select(PipesOf));
            Assert.Multiple(() =>
            {
                Assert.That(stdout.Wait(TimeSpan.FromSeconds(3)), Is.True, $"stdout still open 3 s after netnsfs exited ({holders})");
                Assert.That(stderr.Wait(TimeSpan.FromSeconds(3)), Is.True, $"stderr still open 3 s after netnsfs exited ({holders})");
            });
        }
        finally
        {
            var daemons = Host.DaemonsFor(tmp.Path);
            if (Mounts.IsMounted(tmp.Path))
                Mounts.Detach(tmp.Path);
            foreach (var d in daemons)
            {
                if (!Processes.WaitGone(d, TimeSpan.FromSeconds(5)))
                {
                    try { Process.GetProcessById(d).Kill(); } catch (ArgumentException) { }
                }
            }
        }
    }

    private static string PipesOf(int pid)
    {
        var pipes = Directory.GetFileSystemEntries($"/proc/{pid}/fd")
            .Where(f => new FileInfo(f).LinkTarget?.StartsWith("pipe:", StringComparison.Ordinal) == true)
            .Select(f => $"{Path.GetFileName(f)}->{new FileInfo(f).LinkTarget}");
        return $"daemon {pid} holds {string.Join(' ', pipes)}";
    }
}
