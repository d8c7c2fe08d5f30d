using System.Text.RegularExpressions;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Samples;

/// <summary>The fstab line of the README's "Install" section mounts: mount(8) reads it from an
/// fstab file and runs /sbin/mount.fuse.netnsfs.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class FstabTests
{
    [GeneratedRegex(@"^netnsfs\s+(/\S+)\s+fuse\.netnsfs\s+\S+\s+\d\s+\d\s*$", RegexOptions.Multiline)]
    private static partial Regex FstabLine();

    /// <summary>The fstab line shown under "## Install" in the README.</summary>
    public static string ReadmeFstabLine()
    {
        string readme = File.ReadAllText(Path.Combine(Netnsfs.RepoRoot, "README.md"));
        int start = readme.IndexOf("\n## Install", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "README has an Install section");
        int end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        string install = end < 0 ? readme[start..] : readme[start..end];
        var m = FstabLine().Match(install);
        Assert.That(m.Success, Is.True, "an fstab line `netnsfs DIR fuse.netnsfs OPTIONS 0 0` in README's Install section");
        return m.Value.Trim();
    }

    [Test]
    public void The_README_fstab_line_mounts_with_mount_fstab()
    {
        string line = ReadmeFstabLine();
        var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        using var tmp = new TempDir("fstab");
        string dir = tmp.Sub("mnt");
        string fstab = Path.Combine(tmp.Path, "fstab");
        // The README's line with its mount point replaced by ours.
        File.WriteAllText(fstab, $"# {line}\n{fields[0]}  {dir}  {string.Join("  ", fields[2..])}\n");
        int daemon = 0;
        using (new MountHelper())
        {
            try
            {
                // From /, so that mount(8) does not take SOURCE "netnsfs" for a file of the working
                // directory; output to a file, so that nothing waits on what the daemon inherits.
                string log = Path.Combine(tmp.Path, "mount.out");
                var mount = Run.Bash($"cd / && mount --fstab '{fstab}' '{dir}' >'{log}' 2>&1", TimeSpan.FromSeconds(30));
                Assert.That(mount.ExitCode, Is.Zero, mount + File.ReadAllText(log));
                var entry = Mounts.Fuse().Single(e => e.Target == dir);
                Assert.That(entry.Type, Is.EqualTo("fuse.netnsfs"));
                Assert.That(entry.Source, Is.EqualTo("netnsfs"));

                var status = File.ReadAllLines(Path.Combine(dir, "status"))
                    .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
                daemon = int.Parse(status["pid"], System.Globalization.CultureInfo.InvariantCulture);
                Assert.That(status["mountpoint"], Is.EqualTo(dir));
                foreach (var option in fields[3].Split(','))
                    Assert.That(status["options"].Split(','), Does.Contain(option), "the fstab options reach netnsfs");
                if (fields[3].Split(',').Contains("create"))
                    Assert.That(status["origin"], Is.EqualTo("created"));
                Assert.That(File.ReadAllText(Path.Combine(dir, "net", "dev")), Does.Contain("lo:"));

                var umount = Run.Process("umount", [dir], TimeSpan.FromSeconds(10));
                Assert.That(umount.ExitCode, Is.Zero, umount.ToString());
                Assert.That(Mounts.IsMounted(dir), Is.False);
                // That the daemon then exits is LifecycleTests' subject; here only a note when it does not
                // (the launcher can mount before `unshare --mount` has copied the mount namespace, and
                // the daemon's copy then holds the mount, so the daemon never learns of the umount).
                if (!Processes.WaitGone(daemon, TimeSpan.FromSeconds(5)))
                {
                    bool held = false;
                    try
                    {
                        held = File.ReadAllText($"/proc/{daemon}/mountinfo").Contains($" {dir} ", StringComparison.Ordinal);
                    }
                    catch (IOException)
                    {
                    }
                    TestContext.Progress.WriteLine($"note: daemon {daemon} still runs 5 s after umount{(held ? "; its own mount namespace still holds the mount" : "")}");
                }
            }
            finally
            {
                for (int i = 0; i < 3 && Mounts.IsMounted(dir); i++)
                    Mounts.Detach(dir);
                if (daemon != 0 && !Processes.WaitGone(daemon, TimeSpan.FromSeconds(5)))
                {
                    try { System.Diagnostics.Process.GetProcessById(daemon).Kill(); } catch (ArgumentException) { }
                }
            }
        }
    }
}
