using System.Globalization;
using NetnsFs.Tests.Security;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Rootless;

/// <summary>Issue 20: namespaces of a user's own, without root. The mounter is uid 1 (Debian's
/// "daemon": fusermount3 wants a passwd entry, and uid 65534 is refused, see below); the others are
/// nobody and uid 1234. /dev/fuse is 0666 for these tests, as Debian's udev makes it.</summary>
[NonParallelizable]
public sealed class RootlessMountTests
{
    private const uint Owner = 1;

    private FuseDeviceOpenToAll? _fuse;

    [SetUp]
    public void OpenFuse() => _fuse = new FuseDeviceOpenToAll();

    [TearDown]
    public void RestoreFuse() => _fuse?.Dispose();

    /// <summary>Run as the owner: FUSE files (a low port, a raw socket, a dial), then the handoff
    /// (raw, listen) through the Python client.</summary>
    private const string OwnerPy = """
        import os, socket, sys, netnsfs
        M = sys.argv[1]
        out = []
        try:
            os.open(M + "/tcp/listen/80", os.O_RDWR | os.O_NONBLOCK)
        except BlockingIOError:
            pass  # EAGAIN: it listens, and no client has come yet
        d = os.open(M + "/tcp/127.0.0.1/80", os.O_RDWR)
        a = os.open(M + "/tcp/listen/80", os.O_RDWR)
        os.write(d, b"ping")
        out.append("port80 " + os.read(a, 4).decode())
        try:
            os.open(M + "/inet;raw;icmp", os.O_RDWR | os.O_CREAT, 0o777)
            out.append("raw ok")
        except OSError as e:
            out.append("raw %d" % e.errno)
        s = netnsfs.socket(M, "inet;raw;icmp")
        out.append("handoff-raw %d" % s.type)
        h = netnsfs.socket(M, "tcp/listen/53")
        out.append("handoff-listen53 %d" % h.getsockname()[1])
        u = os.open(M + "/udp/127.0.0.1/9", os.O_RDWR)
        out.append("udp %d" % os.write(u, b"datagram"))
        out.append("conn %s" % bool(os.listdir(M + "/conn")))
        out.append("net/dev %s" % ("lo:" in open(M + "/net/dev").read()))
        print(" ".join(out))
        """;

    [Test]
    public void A_user_without_root_mounts_a_namespace_of_its_own_and_has_what_unshare_Urn_gives()
    {
        using var tmp = new TempDir("rootless");
        using var m = new UserMount(Owner, tmp, "create");
        Assert.That(m.Result.ExitCode, Is.Zero, m.Result.ToString());
        var status = m.StatusOf(m.Dir);
        Assert.That(status["daemon_user_ns"], Is.EqualTo("own"));
        Assert.That(status["netns_inode"], Is.Not.EqualTo(HostNetnsInode()), "a namespace of its own, not the user's");
        string lib = ClientModules.Python(tmp);
        var r = m.AsOwner("env", $"PYTHONPATH={lib}", Run.Python3, "-c", OwnerPy, m.Dir);
        Assert.That(r.Stdout.Trim(), Is.EqualTo("port80 ping raw ok handoff-raw 3 handoff-listen53 53 udp 8 conn True net/dev True"), "the owner may do there what unshare -Urn gives it: " + r);
        var ip = m.AsOwner(m.Binary, "run", "--net", m.Dir, "--", "ip", "-br", "addr");
        Assert.That(ip.Stdout.Trim(), Does.StartWith("lo").And.Contain("127.0.0.1/8").And.Not.Contain("eth"), "run --net shows the namespace's addresses: " + ip);
        var admin = m.AsOwner(m.Binary, "run", "--net", m.Dir, "--", "ip", "addr", "add", "10.77.0.1/24", "dev", "lo");
        Assert.That(admin.ExitCode, Is.Zero, "CAP_NET_ADMIN there: the kernel checks the daemon's netlink socket and its owner, the sender: " + admin);
        Assert.That(m.AsOwner(m.Binary, "run", "--net", m.Dir, "--", "ip", "-br", "addr").Stdout, Does.Contain("10.77.0.1/24"));
        Assert.That(Run.Process("ip", ["-br", "addr"]).Stdout, Does.Not.Contain("10.77.0.1"), "in the mount's namespace, not the host's");
        var exec = m.AsOwner(m.Binary, "exec", m.Dir, "--socket", "tcp/listen/0", "--", Run.Python3, "-c",
            "import socket; s = socket.socket(fileno=3); print(s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))");
        Assert.That(exec.Stdout.Trim(), Is.EqualTo("1"), "netnsfs exec hands a listener over: " + exec);
        int daemon = m.DaemonPid;
        string inode = status["netns_inode"];
        var umount = m.AsOwner("fusermount3", "-u", m.Dir);
        Assert.That(umount.ExitCode, Is.Zero, umount.ToString());
        Assert.That(Processes.WaitGone(daemon, TimeSpan.FromSeconds(10)), Is.True, "the daemon goes with the mount");
        Assert.That(Await.Eventually(() => !NamespaceHeld(inode), TimeSpan.FromSeconds(10)), Is.True, "and nothing holds its namespace any more");
        Assert.That(Await.Eventually(() => KeeperPids(m.Dir).Count == 0, TimeSpan.FromSeconds(10)), Is.True, "nor its keeper");
    }

    [TestCase("KILL")]
    [TestCase("TERM")]
    public void A_rootless_daemon_that_is_killed_or_stopped_leaves_no_mount_behind(string signal)
    {
        using var tmp = new TempDir("rootless");
        using var m = new UserMount(Owner, tmp, "create");
        Assert.That(m.Result.ExitCode, Is.Zero, m.Result.ToString());
        Assert.That(KeeperPids(m.Dir), Has.Count.EqualTo(1), "a keeper watches the daemon from outside its user namespace");
        Run.Checked(Run.Process("kill", [$"-{signal}", m.DaemonPid.ToString(CultureInfo.InvariantCulture)]));
        Assert.That(Processes.WaitGone(m.DaemonPid, TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(Await.Eventually(() => !Mounts.IsMounted(m.Dir), TimeSpan.FromSeconds(10)), Is.True,
            "the daemon cannot unmount from inside its user namespace: the keeper unmounts what it left");
        Assert.That(Await.Eventually(() => KeeperPids(m.Dir).Count == 0, TimeSpan.FromSeconds(10)), Is.True);
    }

    [Test]
    public void Multi_as_a_user_makes_a_namespace_per_mkdir_and_frees_it_at_rmdir()
    {
        using var tmp = new TempDir("rootless");
        using var m = new UserMount(Owner, tmp, "multi");
        Assert.That(m.Result.ExitCode, Is.Zero, m.Result.ToString());
        Run.Checked(m.AsOwner("mkdir", Path.Combine(m.Dir, "a"), Path.Combine(m.Dir, "b")));
        string a = m.StatusOf(Path.Combine(m.Dir, "a"))["netns_inode"], b = m.StatusOf(Path.Combine(m.Dir, "b"))["netns_inode"];
        Assert.That(a, Is.Not.EqualTo(b));
        var raw = m.AsOwner(Run.Python3, "-c", AsUser.TryOpen, Path.Combine(m.Dir, "a"), "inet;raw;icmp", "tcp/listen/443");
        Assert.That(raw.Stdout, Does.Contain("inet;raw;icmp ok").And.Contain("tcp/listen/443 11"), "the owner's rights in every namespace of the mount: " + raw);
        Run.Checked(m.AsOwner("rmdir", Path.Combine(m.Dir, "a")));
        Assert.That(Await.Eventually(() => !NamespaceHeld(a), TimeSpan.FromSeconds(10)), Is.True, "rmdir frees the namespace");
        Assert.That(NamespaceHeld(b), Is.True, "and only that one");
    }

    /// <summary>The attacker: nobody and uid 1234 get nothing of a mount without allow_other, by any way in.</summary>
    [Test]
    public void Other_users_cannot_reach_a_rootless_namespace_without_allow_other()
    {
        using var tmp = new TempDir("rootless");
        using var m = new UserMount(Owner, tmp, "create");
        Assert.That(m.Result.ExitCode, Is.Zero, m.Result.ToString());
        string lib = ClientModules.Python(tmp);
        foreach (uint attacker in new[] { AsUser.Nobody, AsUser.Other })
        {
            var files = AsUser.Python3(attacker, AsUser.TryOpen, m.Dir, "tcp/listen/8080", "inet;raw;icmp");
            Assert.That(files.Stdout, Does.Contain("tcp/listen/8080 13").And.Contain("inet;raw;icmp 13"), $"uid {attacker}: " + files);
            var handoff = AsUser.Command(attacker, "env", $"PYTHONPATH={lib}", Run.Python3, "-c",
                $"import netnsfs\ntry:\n    netnsfs.socket('{m.Dir}', 'inet;stream;tcp'); print('got one')\nexcept OSError as e:\n    print(e.errno)");
            Assert.That(handoff.Stdout.Trim(), Is.EqualTo("13"), $"uid {attacker} over the handoff: " + handoff);
            var run = AsUser.Command(attacker, m.Binary, "run", "--net", m.Dir, "--", "/bin/true");
            Assert.That(run.ExitCode, Is.EqualTo(1), $"uid {attacker}: run --net on a namespace it may not use: " + run);
        }
    }

    /// <summary>The owner's unix socket in a directory only it may enter (an agent, a session bus).</summary>
    private const string AgentPy = """
        import os, socket, sys
        s = socket.socket(socket.AF_UNIX)
        s.bind(sys.argv[1])
        s.listen()
        print("ready", flush=True)
        while True:
            c, _ = s.accept()
            c.close()
        """;

    /// <summary>A triple's ctl told to connect to a unix socket path: as the writer would.</summary>
    private const string ConnectPathSh = """
        exec 3<>"$1/unix;stream;0" || exit 1
        if echo "connect $2" > "$1/conn/self/ctl"; then echo connected; else echo refused; fi
        """;

    /// <summary>The attacker let in: with allow_other (user_allow_other in /etc/fuse.conf) and a
    /// mode that lets everyone use the mount, another user gets sockets, but only what the kernel
    /// would give it there: no raw socket, no low port, and no unix socket path the daemon's own
    /// user may reach and it may not (the daemon cannot look paths up as anyone else).</summary>
    [Test]
    public void With_allow_other_another_user_is_let_in_by_the_mode_and_gains_no_privilege()
    {
        using var conf = SystemFile.WithLine("/etc/fuse.conf", "user_allow_other");
        using var tmp = new TempDir("rootless");
        string agentDir = tmp.Sub("agent");
        Run.Checked(Run.Process("chown", [$"{Owner}:{Owner}", agentDir]));
        File.SetUnixFileMode(agentDir, (UnixFileMode)0x1C0);
        string agent = Path.Combine(agentDir, "agent.sock");
        using var server = AsUser.Start(Owner, AgentPy, agent);
        server.WaitLine(l => l == "ready", TimeSpan.FromSeconds(20));
        using var m = new UserMount(Owner, tmp, "create,allow_other,mode=0777");
        Assert.That(m.Result.ExitCode, Is.Zero, m.Result.ToString());
        var owner = m.AsOwner(Run.Python3, "-c", AsUser.TryOpen, m.Dir, "inet;raw;icmp");
        Assert.That(owner.Stdout, Does.Contain("inet;raw;icmp ok"), owner.ToString());
        Assert.That(m.AsOwner("bash", "-c", ConnectPathSh, "sh", m.Dir, agent).Stdout.Trim(), Is.EqualTo("refused"),
            "not even the owner: its process's root cannot be read from inside the daemon's user namespace, and the daemon's own root would let a chrooted or sandboxed process of the owner out");
        foreach (uint attacker in new[] { AsUser.Nobody, AsUser.Other })
        {
            string high = $"tcp/listen/{8000 + (attacker % 1000)}"; // a port of each one's own: listeners are per user
            var files = AsUser.Python3(attacker, AsUser.TryOpen, m.Dir, "inet;raw;icmp", "tcp/listen/80", high, "inet;stream;tcp");
            Assert.That(files.Stdout, Does.Contain("inet;raw;icmp 1\n").And.Contain("tcp/listen/80 13").And.Contain(high + " 11").And.Contain("inet;stream;tcp ok"),
                $"uid {attacker} uses the namespace with the rights the kernel would give it there (none): " + files);
            // The daemon's capabilities through a netlink socket it would make (the kernel checks
            // the socket and its writer, both the daemon), and the daemon's user as a unix client.
            var deputies = AsUser.Python3(attacker, AsUser.TryOpen, m.Dir, "netlink;raw;0", "unix/@owner-svc", "unix;stream;0");
            Assert.That(deputies.Stdout, Does.Contain("netlink;raw;0 13").And.Contain("unix/@owner-svc 13").And.Contain("unix;stream;0 13"), $"uid {attacker}: " + deputies);
            var deputy = AsUser.Command(attacker, "bash", "-c", ConnectPathSh, "sh", m.Dir, agent);
            Assert.That(deputy.Stdout.Trim(), Is.Not.EqualTo("connected"), $"uid {attacker} must not reach the owner's socket through the daemon: " + deputy);
            Assert.That(deputy.Stderr, Does.Contain("Permission denied"), "refused at the unix triple already: " + deputy);
        }
    }

    /// <summary>The way users mount FUSE filesystems: an fstab line with `user`, then `mount DIR`
    /// and `umount DIR` by the user, through the mount helper `make install` puts in /sbin.</summary>
    [Test]
    public void A_user_mounts_and_unmounts_through_an_fstab_line_with_user()
    {
        using var tmp = new TempDir("rootless");
        string dir = tmp.Sub("fstab");
        Run.Checked(Run.Process("chown", [$"{Owner}:{Owner}", dir]));
        string bin = UserMount.BinaryFor(Owner, tmp);
        using var helper = new SystemFile("/sbin/mount.fuse.netnsfs", $"#!/bin/sh\nexec '{bin}' \"$@\"\n", (UnixFileMode)0x1ED);
        using var fstab = SystemFile.WithLine("/etc/fstab", $"netnsfs {dir} fuse.netnsfs create,user,noauto 0 0");
        var mount = Run.Process("setpriv", [$"--reuid={Owner}", $"--regid={Owner}", "--clear-groups", "--", "env", "-u", "HOME", "mount", dir], TimeSpan.FromSeconds(30));
        try
        {
            Assert.That(mount.ExitCode, Is.Zero, mount.ToString());
            var status = Run.Checked(Run.Process("setpriv", [$"--reuid={Owner}", $"--regid={Owner}", "--clear-groups", "--", "cat", Path.Combine(dir, "status")])).Stdout;
            Assert.That(status, Does.Contain("daemon_user_ns=own").And.Contain("origin=created"), status);
            var umount = Run.Process("setpriv", [$"--reuid={Owner}", $"--regid={Owner}", "--clear-groups", "--", "umount", dir]);
            Assert.That(umount.ExitCode, Is.Zero, umount.ToString());
            Assert.That(Await.Eventually(() => !Mounts.IsMounted(dir), TimeSpan.FromSeconds(10)), Is.True);
        }
        finally
        {
            if (Mounts.IsMounted(dir))
                Mounts.Detach(dir);
        }
    }

    [Test]
    public void A_rootless_mount_inside_unshare_Urm_goes_with_its_mount_namespace()
    {
        using var tmp = new TempDir("rootless");
        string dir = tmp.Sub("mnt");
        Run.Checked(Run.Process("chown", [$"{Owner}:{Owner}", dir]));
        string bin = UserMount.BinaryFor(Owner, tmp);
        // Inside, the user is root of a new user namespace owning a new mount namespace: FUSE
        // mounts there directly, and the mount lives as long as that mount namespace.
        string script = $"'{bin}' netnsfs '{dir}' -o create || exit 1; grep '^pid=' '{dir}/status'; grep -c . /proc/self/mountinfo >/dev/null";
        var r = Run.Process("setpriv", [$"--reuid={Owner}", $"--regid={Owner}", "--clear-groups", "--", "env", "-u", "HOME", "unshare", "-Urm", "/bin/sh", "-c", script], TimeSpan.FromSeconds(30));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        int daemon = int.Parse(r.Stdout.Trim()["pid=".Length..], CultureInfo.InvariantCulture);
        try
        {
            Assert.That(Processes.WaitGone(daemon, TimeSpan.FromSeconds(15)), Is.True,
                "the mount namespace's last process exited: the mount went, and the daemon with it");
            Assert.That(Mounts.IsMounted(dir), Is.False, "nothing of it is mounted where root looks");
        }
        finally
        {
            if (Processes.IsAlive(daemon))
                Run.Process("kill", ["-KILL", daemon.ToString(CultureInfo.InvariantCulture)]);
        }
    }

    /// <summary>A server in a namespace of the user's own user namespace (`unshare -Urn`): it
    /// prints its pid, then answers every connection on 127.0.0.1:7711 with a line.</summary>
    private const string InsideServerPy = """
        import os, socket
        s = socket.socket()
        s.bind(("127.0.0.1", 7711))
        s.listen()
        print(os.getpid(), flush=True)
        while True:
            c, _ = s.accept()
            c.sendall(b"hello from inside")
            c.close()
        """;

    /// <summary>Attach what you own: a namespace of a user namespace the user made (`unshare -Urn`)
    /// is served through a proxy that nsenter starts inside it, with the owner's rights there.</summary>
    [Test]
    public void A_namespace_of_a_user_namespace_the_user_owns_is_attached_with_the_owners_rights()
    {
        using var tmp = new TempDir("rootless");
        using var holder = new Background("setpriv", [$"--reuid={Owner}", $"--regid={Owner}", "--clear-groups", "--", "unshare", "-Urn", "/bin/sh", "-c",
            $"ip link set lo up && exec {Run.Python3} -c '{InsideServerPy.Replace("'", "\"", StringComparison.Ordinal)}'"]);
        string pid = holder.WaitLine(_ => true, TimeSpan.FromSeconds(20)).Trim();
        using var m = new UserMount(Owner, tmp, $"netns=/proc/{pid}/ns/net");
        Assert.That(m.Result.ExitCode, Is.Zero, m.Result.ToString());
        string inode = new FileInfo($"/proc/{pid}/ns/net").LinkTarget!;
        Assert.That($"net:[{m.StatusOf(m.Dir)["netns_inode"]}]", Is.EqualTo(inode), "the very namespace of the unshare -Urn process");
        Assert.That(m.AsOwner("cat", Path.Combine(m.Dir, "tcp/127.0.0.1/7711")).Stdout, Is.EqualTo("hello from inside"), "a dial reaches the server inside");
        var rights = m.AsOwner(Run.Python3, "-c", AsUser.TryOpen, m.Dir, "inet;raw;icmp", "tcp/listen/80");
        Assert.That(rights.Stdout, Does.Contain("inet;raw;icmp ok").And.Contain("tcp/listen/80 11"), "the owner's capabilities there: " + rights);
        Assert.That(m.AsOwner("cat", Path.Combine(m.Dir, "net/tcp")).Stdout, Does.Contain("0100007F:1E1F"), "net/ shows that namespace's tables (127.0.0.1:7711)");
        string lib = ClientModules.Python(tmp);
        var handoff = m.AsOwner("env", $"PYTHONPATH={lib}", Run.Python3, "-c", $"import netnsfs\nprint(netnsfs.socket('{m.Dir}', 'inet;raw;icmp').type)");
        Assert.That(handoff.Stdout.Trim(), Is.EqualTo("3"), handoff.ToString());
        var nobody = AsUser.Python3(AsUser.Nobody, AsUser.TryOpen, m.Dir, "tcp/127.0.0.1/7711");
        Assert.That(nobody.Stdout, Does.Contain("tcp/127.0.0.1/7711 13"), "nobody else without allow_other: " + nobody);
        var proxies = ProxyPids();
        Assert.That(proxies, Is.Not.Empty, "a proxy inside does what needs a thread there");
        Run.Checked(m.AsOwner("fusermount3", "-u", m.Dir));
        Assert.That(Processes.WaitGone(m.DaemonPid, TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(Await.Eventually(() => proxies.All(p => !Processes.IsAlive(p)), TimeSpan.FromSeconds(10)), Is.True, "the proxy goes with the daemon");
    }

    /// <summary>A namespace the user does not own (root's, pinned by `ip netns add`) cannot be
    /// attached without root: refused at mount time, in one line, nothing left mounted.</summary>
    [Test]
    public void Attaching_a_namespace_the_user_does_not_own_is_refused_at_mount_time()
    {
        using var tmp = new TempDir("rootless");
        string name = "rl-" + Guid.NewGuid().ToString("N")[..8];
        Run.Checked(Run.Process("ip", ["netns", "add", name]));
        try
        {
            using var m = new UserMount(Owner, tmp, $"netns=/run/netns/{name}");
            Assert.That(m.Result.ExitCode, Is.EqualTo(1), m.Result.ToString());
            Assert.That(m.Result.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), m.Result.ToString());
            Assert.That(m.Result.Stderr, Does.Contain("only the namespace you are in, or one of a user namespace you own"));
            Assert.That(Mounts.IsMounted(m.Dir), Is.False);
        }
        finally
        {
            Run.Process("ip", ["netns", "del", name]);
        }
    }

    /// <summary>A machine with user namespaces off: played inside a user namespace of the test's
    /// own (root and uid 1 mapped to themselves), whose user.max_user_namespaces is set to 0, so
    /// that the host's is left alone (the limit is per user namespace, and binds its children).</summary>
    [Test]
    public void With_user_namespaces_off_the_mount_names_the_sysctl_and_its_fix_and_mounts_nothing()
    {
        using var tmp = new TempDir("rootless");
        string dir = tmp.Sub("mnt");
        Run.Checked(Run.Process("chown", [$"{Owner}:{Owner}", dir]));
        string bin = UserMount.BinaryFor(Owner, tmp);
        using var holder = new Background("unshare", ["--user", "/bin/sh", "-c", "echo $$; exec sleep 60"]);
        string pid = holder.WaitLine(_ => true, TimeSpan.FromSeconds(20)).Trim();
        File.WriteAllText($"/proc/{pid}/uid_map", "0 0 2\n");
        File.WriteAllText($"/proc/{pid}/gid_map", "0 0 2\n");
        string script = $"echo 0 > /proc/sys/user/max_user_namespaces || exit 9; exec setpriv --reuid={Owner} --regid={Owner} --clear-groups -- env -u HOME '{bin}' netnsfs '{dir}' -o create";
        var r = Run.Process("nsenter", ["-t", pid, "-U", "--", "/bin/sh", "-c", script], TimeSpan.FromSeconds(30));
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), r.ToString());
        Assert.That(r.Stderr, Does.Contain("user.max_user_namespaces = 0").And.Contain("sysctl -w user.max_user_namespaces="), r.ToString());
        Assert.That(Mounts.IsMounted(dir), Is.False, "refused before anything was mounted");
        Assert.That(KeeperPids(dir), Is.Empty);
    }

    /// <summary>watch is root's (the pins are): refused without root before anything is mounted.</summary>
    [Test]
    public void Watch_without_root_is_refused_and_nothing_is_left_mounted()
    {
        using var tmp = new TempDir("rootless");
        using var m = new UserMount(Owner, tmp, "multi,watch");
        Assert.That(m.Result.ExitCode, Is.EqualTo(2), m.Result.ToString());
        Assert.That(m.Result.Stderr, Does.Contain("'watch' needs root"));
        Assert.That(Mounts.IsMounted(m.Dir), Is.False, "refused before fusermount3 mounted anything");
    }

    [Test]
    public void The_overflow_uid_is_refused_in_one_line_and_nothing_is_left_mounted()
    {
        using var tmp = new TempDir("rootless");
        using var m = new UserMount(AsUser.Nobody, tmp, "create");
        Assert.That(m.Result.ExitCode, Is.EqualTo(1), m.Result.ToString());
        Assert.That(m.Result.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), m.Result.ToString());
        Assert.That(m.Result.Stderr, Does.Contain("overflow"), "uid 65534 is what a user namespace shows for every unmapped user: the daemon could not tell its owner from anyone");
        Assert.That(Mounts.IsMounted(m.Dir), Is.False);
        Assert.That(KeeperPids(m.Dir), Is.Empty);
    }

    private static string HostNetnsInode()
    {
        string link = new FileInfo("/proc/self/ns/net").LinkTarget ?? "";
        return link[(link.IndexOf('[', StringComparison.Ordinal) + 1)..^1];
    }

    /// <summary>Whether any process has network namespace <paramref name="inode"/> as its own or open.</summary>
    private static bool NamespaceHeld(string inode) =>
        Run.Process("sh", ["-c", $"ls -l /proc/[0-9]*/ns/net /proc/[0-9]*/fd 2>/dev/null | grep -q 'net:\\[{inode}\\]'"]).ExitCode == 0;

    private static List<int> ProxyPids() =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out int pid) ? pid : 0)
            .Where(pid => pid > 0 && Cmdline(pid).Contains("\0--netns-proxy\0", StringComparison.Ordinal))];

    private static List<int> KeeperPids(string dir) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out int pid) ? pid : 0)
            .Where(pid => pid > 0 && Cmdline(pid).Contains("netnsfs-keeper\0" + dir + "\0", StringComparison.Ordinal))];

    private static string Cmdline(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
