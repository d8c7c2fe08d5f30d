using System.Diagnostics;
using System.Text;
using NetnsFs.Tests.Support;
using NetnsFs.UnitTests.Fuse;
using NUnit.Framework;

namespace NetnsFs.Tests.Fuse;

/// <summary>A real mount of <see cref="TestFileSystem"/> in this process, used by real programs:
/// lookups, attributes, reads, links, directories, statfs, and unmount from outside.</summary>
[TestFixture]
public sealed class SessionTests
{
    private static RunResult Sh(string script) => Proc.Sh(script);

    private static string Q(string path) => Proc.Q(path);

    [Test]
    public void Ls_lists_the_root()
    {
        using var m = new TestMount();
        var r = Proc.Checked(Sh($"ls -1a {Q(m.Dir)}"));
        Assert.That(r.Stdout, Is.EqualTo(".\n..\ndir\necho\nhello\nlink\n"));
    }

    [Test]
    public void Stat_reports_types_sizes_modes_and_links()
    {
        using var m = new TestMount();
        var r = Proc.Checked(Sh($"cd {Q(m.Dir)} && stat -c '%n|%F|%s|%a|%h|%i' hello dir link echo dir/{TestFileSystem.InnerName}"));
        Assert.That(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[]
        {
            "hello|regular file|12|444|1|2",
            "dir|directory|4096|755|2|3",
            "link|symbolic link|5|777|1|5",
            "echo|regular file|1099511627776|666|1|6",
            $"dir/{TestFileSystem.InnerName}|regular file|7|444|1|4",
        }));
    }

    [Test]
    public void Cat_reads_hello_directly_and_through_the_link()
    {
        using var m = new TestMount();
        Assert.That(Proc.Checked(Sh($"cat {Q(m["hello"])}")).Stdout, Is.EqualTo("hello world\n"));
        Assert.That(Proc.Checked(Sh($"cat {Q(m["link"])}")).Stdout, Is.EqualTo("hello world\n"));
        Assert.That(Proc.Checked(Sh($"dd if={Q(m["hello"])} bs=1 skip=6 count=5 status=none")).Stdout, Is.EqualTo("world"), "a read at an offset");
    }

    [Test]
    public void Readlink_gives_the_target()
    {
        using var m = new TestMount();
        Assert.That(Proc.Checked(Sh($"readlink {Q(m["link"])}")).Stdout, Is.EqualTo("hello\n"));
        Assert.That(Proc.Checked(Sh($"readlink -f {Q(m["link"])}")).Stdout, Is.EqualTo(m["hello"] + "\n"));
    }

    [Test]
    public void Ls_and_cat_inside_a_directory()
    {
        using var m = new TestMount();
        Assert.That(Proc.Checked(Sh($"ls {Q(m["dir"])}")).Stdout, Is.EqualTo(TestFileSystem.InnerName + "\n"));
        Assert.That(Proc.Checked(Sh($"ls -1a {Q(m["dir"])}")).Stdout, Is.EqualTo($".\n..\n{TestFileSystem.InnerName}\n"));
        Assert.That(Proc.Checked(Sh($"cat {Q(m["dir/" + TestFileSystem.InnerName])}")).Stdout, Is.EqualTo("inside\n"));
    }

    [Test]
    public void Errors_reach_the_caller()
    {
        using var m = new TestMount();
        var missing = Sh($"stat {Q(m["nope"])}");
        Assert.That(missing.ExitCode, Is.Not.Zero);
        Assert.That(missing.Stderr, Does.Contain("No such file or directory"));
        var dir = Sh($"cat {Q(m["dir"])}");
        Assert.That(dir.Stderr, Does.Contain("Is a directory"));
        var write = Sh($"printf x >> {Q(m["hello"])}");
        Assert.That(write.ExitCode, Is.Not.Zero);
        Assert.That(write.Stderr, Does.Contain("Permission denied"), "EACCES from OPEN for writing");
        var notLink = Sh($"readlink {Q(m["hello"])}");
        Assert.That(notLink.ExitCode, Is.Not.Zero, "READLINK of a file is EINVAL");
    }

    [Test]
    public void Statfs_reports_what_the_filesystem_says()
    {
        using var m = new TestMount();
        var r = Proc.Checked(Sh($"stat -f -c '%t %b %f %a %c %d %s %S %l' {Q(m.Dir)}"));
        // 65735546: FUSE_SUPER_MAGIC.
        Assert.That(r.Stdout.Trim(), Is.EqualTo("65735546 1000 600 500 100 90 4096 4096 255"));
        var df = Proc.Checked(Sh($"df -B4096 --output=size,used,avail {Q(m.Dir)} | tail -1"));
        Assert.That(df.Stdout.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "1000", "400", "500" }));
    }

    [Test]
    public void Data_written_before_a_reader_comes_is_read_back()
    {
        using var m = new TestMount();
        Proc.Checked(Sh($"printf 'hello world' >> {Q(m["echo"])}"));
        Assert.That(m.Fs.BufferedEchoBytes, Is.EqualTo(11));
        var r = Proc.Checked(Sh($"head -c 5 {Q(m["echo"])}"));
        Assert.That(r.Stdout, Is.EqualTo("hello"));
    }

    [Test]
    public void Umount_from_outside_ends_the_session()
    {
        using var m = new TestMount();
        Proc.Checked(Sh($"ls {Q(m.Dir)} >/dev/null"));
        Assert.That(m.Mount.Session.Ended.IsCompleted, Is.False);
        var r = Proc.Run("umount", [m.Dir], TimeSpan.FromSeconds(10));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var sw = Stopwatch.StartNew();
        Assert.That(m.Mount.Session.Ended.Wait(TimeSpan.FromSeconds(5)), Is.True, "Session.Ended after umount");
        TestContext.Progress.WriteLine($"session ended {sw.ElapsedMilliseconds} ms after umount returned");
        Assert.That(Mounts.IsMounted(m.Dir), Is.False);
    }

    /// <summary>FuseSession.Stop's contract: "Ends the loop without unmounting (the mount, if still
    /// there, then answers ENOTCONN)". A request made after Stop must fail at once, not be read by a
    /// reader that then cannot answer it.</summary>
    [Test]

    public void Stop_while_mounted_disconnects_the_mount()
    {
        using var m = new TestMount();
        try
        {
            Proc.Checked(Sh($"stat {Q(m.Dir)} >/dev/null"));
            Thread.Sleep(300); // every reader back in read(/dev/fuse), as in a daemon at rest
            m.Mount.Session.Stop();
            var r = Proc.Run("timeout", ["-s", "KILL", "3", "stat", m["hello"]], TimeSpan.FromSeconds(20));
            Assert.Multiple(() =>
            {
                Assert.That(r.ExitCode, Is.EqualTo(1), "stat fails (137: it hung until SIGKILL): " + r);
                Assert.That(r.Stderr, Does.Contain("Transport endpoint is not connected").Or.Contain("Software caused connection abort"), "a request after Stop is refused: " + r);
                Assert.That(r.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)), "refused at once, not left waiting");
                Assert.That(m.Mount.Session.Ended.Wait(TimeSpan.FromSeconds(5)), Is.True, "Session.Ended after Stop");
            });
        }
        finally
        {
            // If Stop left readers blocked in read(/dev/fuse), each needs one more request to return
            // (and the connection to drop): feed them until the session ends.
            for (int i = 0; i < 10 && !m.Mount.Session.Ended.IsCompleted; i++)
                Proc.Run("timeout", ["-s", "KILL", "1", "stat", m["dir"]], TimeSpan.FromSeconds(20));
        }
    }

    [Test]
    public void A_mount_is_listed_with_our_source_and_type()
    {
        using var m = new TestMount();
        var entry = Mounts.Fuse().Single(x => x.Target == m.Dir);
        Assert.That((entry.Source, entry.Type), Is.EqualTo(("fusetest", "fuse.fusetest")));
        Assert.That(m.Fs.Connection, Is.Not.Null);
        Assert.That(m.Fs.Connection!.MaxPages, Is.EqualTo((ushort)256), "this kernel offers FUSE_MAX_PAGES");
        Assert.That(m.Fs.Connection.KernelMinor, Is.GreaterThanOrEqualTo(38u));
    }

    [Test]
    public void A_1MiB_write_arrives_whole()
    {
        using var m = new TestMount();
        using var fd = OwnedFd.Open(m["echo"], TestLibc.O_WRONLY);
        var data = new byte[1 << 20];
        new Random(1).NextBytes(data);
        Assert.That(TestLibc.Write(fd.Fd, data), Is.EqualTo(data.Length));
        Assert.That(m.Fs.BufferedEchoBytes, Is.EqualTo(data.Length));
        using var rfd = OwnedFd.Open(m["echo"], TestLibc.O_RDONLY);
        var back = new byte[data.Length];
        int got = 0;
        while (got < back.Length)
        {
            int n = TestLibc.Read(rfd.Fd, back.AsSpan(got));
            Assert.That(n, Is.Positive, "read returned " + n);
            got += n;
        }
        Assert.That(back, Is.EqualTo(data));
    }

    internal static string Text(ReadOnlySpan<byte> b) => Encoding.ASCII.GetString(b);
}
