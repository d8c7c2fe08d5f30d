using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Security;

/// <summary>Issue 17: the root daemon acts for a caller with the caller's own credentials (uid,
/// gid, groups, and no capability the caller lacks), so that the kernel refuses what it would
/// refuse the caller. Each test attacks as an unprivileged user on a real mount.</summary>
public sealed class CallerCredentialTests
{
    private const int Nobody = 65534;

    /// <summary>Runs a python script (a file in <paramref name="tmp"/>) as <paramref name="uid"/>, with
    /// the supplementary groups given (none by default).</summary>
    private static RunResult As(int uid, TempDir tmp, string script, string[] args, string? groups = null)
    {
        string path = SocketKit.WriteFile(tmp, $"as-{Guid.NewGuid():N}.py", script);
        string[] ids = [$"--reuid={uid}", $"--regid={uid}", groups is null ? "--clear-groups" : $"--groups={groups}"];
        return Run.Process("setpriv", [.. ids, "--", Run.Python3, "-u", path, .. args], SocketKit.Long);
    }

    private static string HandoffSocket(NetnsfsMount m) => File.ResolveLinkTarget(m["handoff"], false)!.FullName;

    /// <summary>The attacker connects to the handoff, forks, and the parent execs a privileged
    /// program that stays alive (SO_PEERCRED names the parent); the child then asks.</summary>
    private const string BorrowPy = """
        import os, socket, struct, sys, time
        handoff, program = sys.argv[1], sys.argv[2]
        c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        c.connect(handoff)
        if os.fork() > 0:
            os.execv(program, [program, "30"])
        parent = os.getppid()
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                status = open("/proc/%d/status" % parent).read()
            except OSError:
                status = ""
            # the exec is done once the parent runs as root (setuid) or holds capabilities (file caps)
            if "\nUid:\t%d\t0\t" % os.getuid() in status or ("CapEff:" in status and "CapEff:\t0000000000000000" not in status):
                break
            time.sleep(0.01)
        else:
            print("the parent never ran", program)
        time.sleep(0.2)
        def ask(path):
            c.send(path.encode())
            msg, fds, _, _ = socket.recv_fds(c, 4096, 1)
            for fd in fds:
                os.close(fd)
            return struct.unpack("<i", msg[:4])[0]
        print("raw", ask("inet;raw;icmp"))
        print("low", ask("tcp/listen/80"))
        sys.stdout.flush()
        os.kill(parent, 9)
        """;

    [TestCase("setuid")]
    [TestCase("file-capabilities")]
    public void Capabilities_are_not_borrowed_through_the_handoff_from_a_program_execd_after_connect(string how)
    {
        using var tmp = new TempDir("cred");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        string program = Path.Combine(tmp.Path, "held-" + how);
        File.Copy("/bin/sleep", program);
        if (how == "setuid")
        {
            File.SetUnixFileMode(program, (UnixFileMode)Convert.ToInt32("4755", 8));
        }
        else
        {
            File.SetUnixFileMode(program, (UnixFileMode)Convert.ToInt32("755", 8));
            Run.Checked(Run.Process("setcap", ["cap_net_raw,cap_net_bind_service+ep", program]));
        }
        var r = As(Nobody, tmp, BorrowPy, [HandoffSocket(m), program]);
        Assert.Multiple(() =>
        {
            Assert.That(r.Stdout, Does.Contain("raw 1\n"), "a raw socket needs the asker's own CAP_NET_RAW: EPERM\n" + r);
            Assert.That(r.Stdout, Does.Contain("low 13\n"), "port 80 needs the asker's own CAP_NET_BIND_SERVICE: EACCES\n" + r);
        });
        Assert.That(m.DaemonAlive, Is.True);
    }

    /// <summary>A unix server inside the namespace: for each client, its SO_PEERCRED as "uid gid pid".</summary>
    private const string PeerCredServerPy = """
        import socket, struct, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("\0" + sys.argv[1])
        s.listen(16)
        print("ready", flush=True)
        while True:
            c, _ = s.accept()
            pid, uid, gid = struct.unpack("3i", c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
            c.sendall(b"%d %d %d\n" % (uid, gid, pid))
            c.close()
        """;

    private const string AskPeerPy = """
        import os, socket, struct, sys
        mount, name = sys.argv[1], sys.argv[2]
        fd = os.open(os.path.join(mount, "unix", "@" + name), os.O_RDWR)
        print("file", os.read(fd, 100).decode().split()[:2])
        os.close(fd)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        c.connect(os.path.join(mount, "handoff"))
        c.send(("unix/@" + name).encode())
        msg, fds, _, _ = socket.recv_fds(c, 4096, 1)
        s = socket.socket(fileno=fds[0])
        print("handoff", s.recv(100).decode().split()[:2])
        """;

    [Test]
    public void A_unix_server_inside_the_namespace_sees_the_caller_not_root()
    {
        using var tmp = new TempDir("cred");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        string name = SocketKit.UniqueName("peer");
        using var server = new Background("nsenter", [$"--net={m["ns"]}", "--", Run.Python3, "-u", SocketKit.WriteFile(tmp, "server.py", PeerCredServerPy), name]);
        server.WaitReady();
        var r = As(Nobody, tmp, AskPeerPy, [m.Dir, name]);
        Assert.That(r.Stdout, Does.Contain("file ['65534', '65534']").And.Contain("handoff ['65534', '65534']"),
            "SO_PEERCRED is the caller's, as if it had connected itself\n" + r);
    }

    private const string ListenThenReportPy = """
        import errno, os, sys
        try:
            os.open(os.path.join(sys.argv[1], "unix", "listen", "@" + sys.argv[2]), os.O_RDWR | os.O_NONBLOCK)
        except OSError as e:
            print("listen", errno.errorcode[e.errno])
        """;

    private const string PeerOfListenerPy = """
        import socket, struct, sys
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect("\0" + sys.argv[1])
        pid, uid, gid = struct.unpack("3i", c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        print("listener", uid, gid)
        """;

    [Test]
    public void A_unix_listener_made_for_a_caller_shows_its_clients_the_caller()
    {
        using var tmp = new TempDir("cred");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        string name = SocketKit.UniqueName("lst");
        var made = As(Nobody, tmp, ListenThenReportPy, [m.Dir, name]);
        Assert.That(made.Stdout, Does.Contain("listen EAGAIN"), made.ToString());
        var r = SocketKit.PythonIn(m["ns"], tmp, PeerOfListenerPy, name);
        Assert.That(r.Stdout.Trim(), Is.EqualTo("listener 65534 65534"), "a client of the listener sees who made it\n" + r);
    }

    /// <summary>argv: MOUNT PATH LABEL. Opens MOUNT/PATH and prints "LABEL ok" or "LABEL ERRNO-NAME".</summary>
    private const string TryOpenPy = """
        import errno, os, sys
        try:
            os.close(os.open(os.path.join(sys.argv[1], sys.argv[2]), os.O_RDWR))
            print(sys.argv[3], "ok")
        except OSError as e:
            print(sys.argv[3], errno.errorcode[e.errno])
        """;

    [Test]
    public void Ping_sockets_are_checked_against_the_callers_groups()
    {
        using var tmp = new TempDir("cred");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        void Range(string range) => Run.Checked(Run.Process("nsenter", [$"--net={m["ns"]}", "--", "sysctl", "-qw", $"net.ipv4.ping_group_range={range}"]));
        Range("4242 4242");
        var member = As(Nobody, tmp, TryOpenPy, [m.Dir, "inet;dgram;icmp", "ping"], groups: "4242");
        var outsider = As(Nobody, tmp, TryOpenPy, [m.Dir, "inet;dgram;icmp", "ping"]);
        Range("0 0");
        var notRoot = As(Nobody, tmp, TryOpenPy, [m.Dir, "inet;dgram;icmp", "ping"], groups: "4242");
        Assert.Multiple(() =>
        {
            Assert.That(member.Stdout.Trim(), Is.EqualTo("ping ok"), "a member of a group in ping_group_range may ping\n" + member);
            Assert.That(outsider.Stdout.Trim(), Is.EqualTo("ping EACCES"), outsider.ToString());
            Assert.That(notRoot.Stdout.Trim(), Is.EqualTo("ping EACCES"), "root's group 0 is not lent to the caller\n" + notRoot);
        });
    }

    /// <summary>The "pointer" column of /proc/net/tcp rows (%pK): all of them.</summary>
    private static List<string> Pointers(string table) =>
        table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 11)
            .Select(f => f[11])
            .ToList();

    private const string ListenPy = """
        import errno, os, sys
        try:
            os.open(sys.argv[1], os.O_RDWR | os.O_NONBLOCK)
        except OSError as e:
            print(errno.errorcode[e.errno])
        """;

    [Test]
    public void Net_tables_show_a_caller_what_the_kernel_shows_it_under_kptr_restrict()
    {
        using var tmp = new TempDir("cred");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        string old = File.ReadAllText("/proc/sys/kernel/kptr_restrict").Trim();
        try
        {
            File.WriteAllText("/proc/sys/kernel/kptr_restrict", "1");
            var listen = SocketKit.Python(tmp, ListenPy, m["tcp/listen/127.0.0.1/7311"]);
            Assert.That(listen.Stdout.Trim(), Is.EqualTo("EAGAIN"), "a listener whose row has a pointer\n" + listen);
            Assert.That(Await.Eventually(() => Pointers(File.ReadAllText(m["net/tcp"])).Count > 0, TimeSpan.FromSeconds(10)), Is.True);
            var asNobody = As(Nobody, tmp, "import sys; print(open(sys.argv[1]).read())", [m["net/tcp"]]);
            var nobodyPointers = Pointers(asNobody.Stdout);
            Assert.That(nobodyPointers, Is.Not.Empty, asNobody.ToString());
            Assert.That(nobodyPointers, Is.All.Match("^0+$"), "kernel addresses are zeros for a reader without CAP_SYSLOG\n" + asNobody.Stdout);
            Assert.That(Pointers(File.ReadAllText(m["net/tcp"])), Has.Some.Not.Match("^0+$"), "root (CAP_SYSLOG) still sees them: the test can tell");
        }
        finally
        {
            File.WriteAllText("/proc/sys/kernel/kptr_restrict", old);
        }
    }

    [Test]
    public void A_root_caller_the_mount_cannot_see_gets_no_privilege()
    {
        // The daemon (-f) runs in a pid namespace of its own, so the kernel reports this test's
        // process (root, outside it) as pid 0: nothing about it can be read, so nothing is granted.
        using var tmp = new TempDir("cred");
        string dir = tmp.Sub("mnt");
        using var daemon = new Background("unshare", ["--pid", "--fork", "--kill-child", Netnsfs.Binary, "netnsfs", dir, "-f", "-o", "create,allow_other"]);
        try
        {
            Assert.That(Await.Eventually(() => Mounts.IsMounted(dir), TimeSpan.FromSeconds(20)), Is.True, daemon.Stderr);
            var r = SocketKit.Python(tmp, TryOpenPy, dir, "inet;raw;icmp", "raw");
            Assert.That(r.Stdout.Trim(), Is.EqualTo("raw EPERM"), "uid 0 with pid 0 fails closed\n" + r);
            Assert.That(SocketKit.Python(tmp, TryOpenPy, dir, "inet;stream;tcp", "stream").Stdout.Trim(), Is.EqualTo("stream ok"),
                "an unprivileged socket is still made for it");
        }
        finally
        {
            Mounts.Detach(dir);
            daemon.WaitExit(TimeSpan.FromSeconds(10));
        }
    }

    private const string RawOnThreadPy = """
        import errno, os, sys, threading
        out = []
        def worker():
            try:
                os.close(os.open(os.path.join(sys.argv[1], "inet;raw;icmp"), os.O_RDWR))
                out.append("raw ok")
            except OSError as e:
                out.append("raw " + errno.errorcode[e.errno])
        t = threading.Thread(target=worker); t.start(); t.join()
        print(out[0])
        """;

    [Test]
    public void A_privileged_caller_on_a_thread_that_does_not_lead_its_process_keeps_its_privilege()
    {
        using var tmp = new TempDir("cred");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        Assert.That(SocketKit.Python(tmp, RawOnThreadPy, m.Dir).Stdout.Trim(), Is.EqualTo("raw ok"));
        Assert.That(As(Nobody, tmp, RawOnThreadPy, [m.Dir]).Stdout.Trim(), Is.EqualTo("raw EPERM"), "and nobody's thread has none");
    }
    /// <summary>nft rules inside the namespace that count the data packets (PSH) that sockets of uid
    /// and gid 65534 send: a handshake is sent for a listener, which is the caller's already.</summary>
    private static void CountOwnerPackets(NetnsfsMount m)
    {
        const string rules = """
            add table inet owner
            add chain inet owner out { type filter hook output priority 0; }
            add rule inet owner out tcp flags & psh == psh meta skuid 65534 counter comment "uid"
            add rule inet owner out tcp flags & psh == psh meta skgid 65534 counter comment "gid"
            """;
        Run.Checked(Run.Process("nsenter", [$"--net={m["ns"]}", "--", "nft", "-f", "-"], stdin: rules));
    }

    /// <summary>Packets counted by the rule with <paramref name="comment"/>.</summary>
    private static long OwnerPackets(NetnsfsMount m, string comment)
    {
        var list = Run.Checked(Run.Process("nsenter", [$"--net={m["ns"]}", "--", "nft", "list", "chain", "inet", "owner", "out"]));
        var line = list.Stdout.Split('\n').First(l => l.Contains($"comment \"{comment}\"", StringComparison.Ordinal));
        var m2 = System.Text.RegularExpressions.Regex.Match(line, @"packets (\d+)");
        return long.Parse(m2.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private const string DialAndSendPy = """
        import os, sys
        fd = os.open(os.path.join(sys.argv[1], "tcp", "127.0.0.1", sys.argv[2]), os.O_RDWR)
        os.write(fd, b"hello\n")
        print("sent", os.read(fd, 100).decode().strip())
        """;

    [Test]
    public void Firewall_owner_matches_see_the_callers_uid_and_gid()
    {
        using var tmp = new TempDir("cred");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        CountOwnerPackets(m);
        using var echo = SocketKit.StartServers(m["ns"], tmp, "echo,127.0.0.1,7402");
        var r = As(Nobody, tmp, DialAndSendPy, [m.Dir, "7402"]);
        Assert.That(r.Stdout.Trim(), Is.EqualTo("sent hello"), r.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(OwnerPackets(m, "uid"), Is.Positive, "meta skuid (the socket file's fsuid) is the caller's");
            Assert.That(OwnerPackets(m, "gid"), Is.Positive, "meta skgid (the socket file's fsgid) is the caller's, not root's group");
        });
    }
    private const string AcceptAndSendPy = """
        import os, sys
        fd = os.open(os.path.join(sys.argv[1], "tcp", "listen", "127.0.0.1", sys.argv[2]), os.O_RDWR)
        os.write(fd, b"hello\n")
        print("accepted and sent")
        """;

    private const string ConnectAndReadPy = """
        import socket, sys, time
        deadline = time.time() + 20
        while True:
            try:
                c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                break
            except ConnectionRefusedError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        print("got", c.recv(100).decode().strip())
        """;

    [Test]
    public void Firewall_owner_matches_see_the_caller_on_a_connection_it_accepted()
    {
        using var tmp = new TempDir("cred");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        CountOwnerPackets(m);
        string script = SocketKit.WriteFile(tmp, "accept.py", AcceptAndSendPy);
        using var acceptor = new Background("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", Run.Python3, "-u", script, m.Dir, "7403"]);
        var client = SocketKit.PythonIn(m["ns"], tmp, ConnectAndReadPy, "7403");
        Assert.That(client.Stdout.Trim(), Is.EqualTo("got hello"), client + "\n" + acceptor.Stderr);
        Assert.Multiple(() =>
        {
            Assert.That(OwnerPackets(m, "uid"), Is.Positive, "the accepted socket's file is the caller's (meta skuid), not root's");
            Assert.That(OwnerPackets(m, "gid"), Is.Positive, "and its group (meta skgid)");
        });
    }
}
