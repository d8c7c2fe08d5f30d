using NetnsFs.Tests.Security;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Multi;

/// <summary>Issue 17 item 2: attaching a namespace (`ln -s PATH DIR/NAME`, multi mode) needs the
/// caller's CAP_SYS_ADMIN, not uid 0; PATH resolves in the caller's root, not the daemon's; a
/// target that is no namespace (a FIFO) answers at once and holds nothing up.</summary>
public sealed class AttachTests
{
    private const string TrySymlink = """
        import os, sys
        try:
            os.symlink(sys.argv[1], sys.argv[2])
            print("ok")
        except OSError as e:
            print(e.errno)
        """;

    private static string InodeOf(string path) => Run.Checked(Run.Process("stat", ["-L", "-c", "%i", path])).Stdout.Trim();

    private static Dictionary<string, string> Status(string file) => NetnsfsMount.ReadStatus(file);

    [Test]
    public void A_user_without_CAP_SYS_ADMIN_cannot_attach_root_or_not()
    {
        using var holder = new NamespaceHolder();
        using var m = new NetnsfsMount("multi,allow_other,mode=0777");
        var nobody = AsUser.Python3(AsUser.Nobody, TrySymlink, holder.Path, m["n"]);
        Assert.That(nobody.Stdout.Trim(), Is.EqualTo("1"), "nobody: EPERM\n" + nobody);
        // uid 0 with every capability dropped (a container's root without a user namespace).
        var capless = Run.Process("setpriv", ["--inh-caps=-all", "--bounding-set=-all", "--", Run.Python3, "-c", TrySymlink, holder.Path, m["r"]]);
        Assert.That(capless.Stdout.Trim(), Is.EqualTo("1"), "root without CAP_SYS_ADMIN: EPERM\n" + capless);
        Assert.That(SocketKit.Ls(m.Dir), Is.EquivalentTo(new[] { "status" }));
        // Root with its capabilities attaches the same path.
        Assert.That(Run.Python(TrySymlink, holder.Path, m["ok"]).Stdout.Trim(), Is.EqualTo("ok"));
        Assert.That(Status(m["ok/status"])["netns_inode"], Is.EqualTo(InodeOf(holder.Path)));
    }

    [Test]
    public void An_absolute_symlink_in_the_callers_root_resolves_there_not_in_the_daemons()
    {
        // The caller lives in a chroot (in a private mount namespace) whose /run/netns/x is a
        // symlink to /proc/self/ns/net; in its root that is a bind mount of a test namespace.
        // Resolved from the daemon's root, the same link is the daemon's own (the host's) namespace.
        using var tmp = new TempDir("chroot");
        using var holder = new NamespaceHolder();
        using var m = new NetnsfsMount("multi");
        string root = tmp.Sub("root");
        Directory.CreateDirectory(Path.Combine(root, "run/netns"));
        Directory.CreateDirectory(Path.Combine(root, "proc/self/ns"));
        Directory.CreateDirectory(Path.Combine(root, "mnt"));
        File.WriteAllText(Path.Combine(root, "proc/self/ns/net"), "");
        File.CreateSymbolicLink(Path.Combine(root, "run/netns/x"), "/proc/self/ns/net");
        const string inChroot = """
            import os, sys
            os.chroot(sys.argv[1]); os.chdir("/")
            try:
                os.symlink("/run/netns/x", "/mnt/x")
                print("ok")
            except OSError as e:
                print(e.errno)
            """;
        string script = $"mount --bind {holder.Path} {root}/proc/self/ns/net && mount --bind {m.Dir} {root}/mnt && exec {Run.Python3} -c '{inChroot}' {root}";
        var r = Run.Process("unshare", ["--mount", "--propagation", "private", "sh", "-c", script]);
        Assert.That(r.Stdout.Trim(), Is.EqualTo("ok"), r.ToString());
        Assert.That(Status(m["x/status"])["netns_inode"], Is.EqualTo(InodeOf(holder.Path)), "the caller's file, not the daemon's");
        Assert.That(Status(m["x/status"])["netns_inode"], Is.Not.EqualTo(InodeOf("/proc/self/ns/net")));
    }

    [Test]
    public void Proc_pid_ns_net_attaches_and_a_relative_path_is_refused()
    {
        using var holder = new NamespaceHolder();
        using var m = new NetnsfsMount("multi");
        Assert.That(Run.Python(TrySymlink, holder.Path, m["p"]).Stdout.Trim(), Is.EqualTo("ok"), "the magic link /proc/PID/ns/net");
        Assert.That(Status(m["p/status"])["netns_inode"], Is.EqualTo(InodeOf(holder.Path)));
        Assert.That(Run.Python(TrySymlink, "run/netns/x", m["rel"]).Stdout.Trim(), Is.EqualTo("22"), "relative: EINVAL");
    }

    [Test]
    public void A_FIFO_target_answers_EINVAL_at_once_and_the_mount_stays_responsive()
    {
        using var tmp = new TempDir("fifo");
        using var m = new NetnsfsMount("multi");
        string fifo = Path.Combine(tmp.Path, "fifo");
        Run.Checked(Run.Process("mkfifo", [fifo]));
        // Bounded only so that a daemon that blocks on the FIFO fails the test instead of hanging it.
        var r = Run.Process(Run.Python3, ["-c", TrySymlink, fifo, m["f"]], TimeSpan.FromSeconds(20));
        Assert.That(r.Stdout.Trim(), Is.EqualTo("22"), r.ToString());
        Assert.That(SocketKit.Ls(m.Dir), Is.EquivalentTo(new[] { "status" }));
        Directory.CreateDirectory(m["after"]);
        Assert.That(File.ReadAllText(m["after/net/dev"]), Does.Contain("lo:"));
    }
}
