using System.Globalization;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Multi;

/// <summary>Issue 8: one daemon, one mount, many namespaces as directories.</summary>
public sealed class MultiMountTests
{
    private static string InodeOf(string nsPath) =>
        new FileInfo(nsPath).LinkTarget ?? Run.Checked(Run.Process("readlink", ["-L", nsPath])).Stdout.Trim();

    private static Dictionary<string, string> Status(string file) => NetnsfsMount.ReadStatus(file);

    /// <summary>An HTTP-ish one-shot server inside a namespace that answers with its id.</summary>
    private static string Serve(string nsDir, string id, int port) => $$"""
        nsenter --net={{nsDir}}/ns {{Run.Python3}} -c '
        import socket
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", {{port}})); s.listen()
        c, _ = s.accept(); c.sendall(b"{{id}}\n"); c.close()' >/dev/null 2>&1 &
        """;

    [Test]
    public void Mkdir_creates_a_namespace_with_the_full_layout_and_rmdir_releases_it()
    {
        using var m = new NetnsfsMount("multi");
        Assert.That(Status(m["status"])["mode"], Is.EqualTo("multi"));
        Directory.CreateDirectory(m["one"]);
        var names = Directory.GetFileSystemEntries(m["one"]).Select(Path.GetFileName).ToList();
        Assert.That(names, Is.SupersetOf(new[] { "inet;stream;tcp", "tcp", "udp", "unix", "conn", "net", "ns", "status", "handoff" }));
        var st = Status(m["one/status"]);
        Assert.That(st["origin"], Is.EqualTo("created"));
        Assert.That(File.ReadAllText(m["one/net/dev"]), Does.Contain("lo:"));
        Assert.That(Status(m["status"])["namespaces"], Is.EqualTo("1"));

        // A veth peer inside shows the namespace is real, and goes with it on rmdir.
        using var veth = new VethPair();
        Run.Checked(veth.MovePeerInto(m["one/ns"]));
        Assert.That(File.ReadAllText(m["one/net/dev"]), Does.Contain(veth.Peer));
        Directory.Delete(m["one"]);
        Assert.That(Directory.Exists(m["one"]), Is.False);
        veth.AssertGone("rmdir released the namespace");
    }

    [Test]
    public void Bad_names_and_duplicates_are_refused()
    {
        using var m = new NetnsfsMount("multi");
        Directory.CreateDirectory(m["a"]);
        var r = Run.Bash($"cd {m.Dir} && for n in a status .hidden 'x y' $(printf 'z%.0s' $(seq 70)); do mkdir -- \"$n\" 2>&1 | sed 's/.*: //'; done");
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(5), r.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Does.Contain("File exists"));
            Assert.That(lines[1], Does.Contain("File exists"));
            Assert.That(lines[2], Does.Contain("Invalid argument"));
            Assert.That(lines[3], Does.Contain("Invalid argument"));
            Assert.That(lines[4], Does.Contain("Invalid argument"));
        });
        Assert.That(Run.Bash($"rmdir {m.Dir}/nosuch 2>&1").Stdout, Does.Contain("No such file"));
    }

    [Test]
    public void Sibling_namespaces_are_isolated()
    {
        using var m = new NetnsfsMount("multi");
        Directory.CreateDirectory(m["left"]);
        Directory.CreateDirectory(m["right"]);
        Assert.That(InodeOf(m["left/ns"]), Is.Not.EqualTo(InodeOf(m["right/ns"])));
        Run.Bash(Serve(m["left"], "left", 7000));
        Await.Until(() => ProcNet.Listens(m["left/net"], 7000), TimeSpan.FromSeconds(10), "the server in the left namespace to listen on 7000");
        var got = Run.Bash($"cat {m["left/tcp/127.0.0.1/7000"]} 2>&1");
        Assert.That(got.Stdout.Trim(), Is.EqualTo("left"), got.ToString());
        var other = Run.Bash($"cat {m["right/tcp/127.0.0.1/7000"]} 2>&1");
        Assert.That(other.Stdout, Does.Contain("Connection refused"), "the right namespace has no server on 7000");
    }

    /// <summary>"Creating or using one namespace never waits for another": opens that hang in one
    /// namespace (connects to an address whose packets go nowhere), more of them than the daemon
    /// has FUSE readers, hold up neither mkdir nor a dial in the others; a signal then ends them.</summary>
    [Test]
    public void Opens_hanging_in_one_namespace_hold_up_no_other()
    {
        const int hanging = 8;
        using var m = new NetnsfsMount("multi");
        Directory.CreateDirectory(m["slow"]);
        // A veth pair inside the namespace and a fixed neighbour entry: the SYNs to 10.99.0.2 go
        // out, and nothing ever answers them.
        Run.Checked(Run.Bash($"nsenter --net={m["slow/ns"]} sh -c 'ip link add v0 type veth peer name v1 && ip addr add 10.99.0.1/24 dev v0 && ip link set v0 up && ip link set v1 up && ip neigh add 10.99.0.2 lladdr 02:00:00:00:00:02 dev v0 nud permanent'"));
        var pids = new List<int>();
        try
        {
            for (int i = 0; i < hanging; i++)
            {
                var r = Run.Checked(Run.Bash($"cat {m["slow/tcp/10.99.0.2/80"]} >/dev/null 2>&1 & echo $!"));
                pids.Add(int.Parse(r.Stdout.Trim(), CultureInfo.InvariantCulture));
            }
            Await.Deferred(m, hanging, "every open to wait in the daemon for its connect");

            var others = Run.Bash($$"""
                set -e
                mkdir {{m["fast1"]}} {{m["fast2"]}}
                {{Serve(m["fast1"], "fast1", 7100)}}
                for i in $(seq 50); do
                    if out=$(cat {{m["fast1/tcp/127.0.0.1/7100"]}} 2>/dev/null); then echo "$out"; exit 0; fi
                    sleep 0.1
                done
                exit 1
                """, TimeSpan.FromSeconds(20));
            Assert.That(others.ExitCode, Is.Zero, "mkdir and a dial in other namespaces, while opens hang in one: " + others);
            Assert.That(others.Stdout.Trim(), Is.EqualTo("fast1"), others.ToString());
            Assert.That(pids.All(Processes.IsAlive), Is.True, "the opens in the slow namespace were still waiting all along");

            // SIGTERM: a background job of a non-interactive shell ignores SIGINT.
            foreach (int pid in pids)
                Run.Process("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)]);
            Assert.That(pids.All(pid => Processes.WaitGone(pid, TimeSpan.FromSeconds(5))), Is.True, "a signal ends an open waiting for its connect");
        }
        finally
        {
            foreach (int pid in pids)
                Run.Process("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]);
        }
    }

    [Test]
    public void An_existing_namespace_is_attached_with_ln_s_and_survives_ip_netns_del()
    {
        string name = $"nnfs-t{Environment.ProcessId}-{Random.Shared.Next(1000, 9999)}";
        Run.Checked(Run.Process("ip", ["netns", "add", name]));
        try
        {
            using var m = new NetnsfsMount("multi");
            Run.Checked(Run.Process("ln", ["-s", $"/run/netns/{name}", m["att"]]));
            Assert.That(Directory.Exists(m["att"]), Is.True);
            Assert.That(Status(m["att/status"])["origin"], Is.EqualTo($"/run/netns/{name}"));
            string inode = Run.Checked(Run.Process("stat", ["-L", "-c", "%i", $"/run/netns/{name}"])).Stdout.Trim();
            Assert.That(Status(m["att/status"])["netns_inode"], Is.EqualTo(inode));
            Run.Checked(Run.Process("ip", ["netns", "del", name]));
            Run.Checked(Run.Process("nsenter", [$"--net={m["att/ns"]}", "ip", "link", "set", "lo", "up"]));
            Assert.That(File.ReadAllText(m["att/net/dev"]), Does.Contain("lo:"), "still usable after ip netns del");
            var bad = Run.Process("ln", ["-s", "/etc/passwd", m["bad"]]);
            Assert.That(bad.ExitCode, Is.Not.Zero);
            Assert.That(Directory.Exists(m["bad"]), Is.False);
        }
        finally
        {
            Run.Process("ip", ["netns", "del", name]);
        }
    }

    [Test]
    public void Two_hundred_namespaces_created_used_and_released_by_unmount()
    {
        const int count = 200;
        string dir;
        int pid;
        using (var m = new NetnsfsMount("multi"))
        {
            dir = m.Dir;
            pid = m.DaemonPid;
            var mk = Run.Bash($"cd {m.Dir} && for i in $(seq 1 {count}); do mkdir n$i || exit 1; done", TimeSpan.FromSeconds(120));
            Assert.That(mk.ExitCode, Is.Zero, mk.ToString());
            Assert.That(Status(m["status"])["namespaces"], Is.EqualTo(count.ToString(CultureInfo.InvariantCulture)));
            var inodes = Enumerable.Range(1, count).Select(i => Status(m[$"n{i}/status"])["netns_inode"]).ToHashSet();
            Assert.That(inodes, Has.Count.EqualTo(count), "every directory is its own namespace");

            // Use every one: one process holds a listening and a connected socket in each, and
            // each connection reaches only its own namespace's listener.
            const string script = """
                import os, sys
                root, n = sys.argv[1], int(sys.argv[2])
                listeners = []
                for i in range(1, n + 1):
                    try:
                        os.open(f"{root}/n{i}/tcp/listen/9000", os.O_RDWR | os.O_NONBLOCK)
                    except BlockingIOError:
                        pass  # listening now, no client yet
                conns = [os.open(f"{root}/n{i}/tcp/127.0.0.1/9000", os.O_RDWR) for i in range(1, n + 1)]
                accepted = [os.open(f"{root}/n{i}/tcp/listen/9000", os.O_RDWR) for i in range(1, n + 1)]
                for i, fd in enumerate(conns):
                    os.write(fd, b"ns%d" % (i + 1))
                bad = [i for i, fd in enumerate(accepted) if os.read(fd, 100) != b"ns%d" % (i + 1)]
                print("held", len(conns) + len(accepted), "bad", len(bad))
                """;
            var r = Run.Process(Run.Python3, ["-c", script, m.Dir, count.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(120));
            Assert.That(r.Stdout.Trim(), Is.EqualTo($"held {2 * count} bad 0"), r.ToString());
        }
        Assert.That(Mounts.IsMounted(dir), Is.False);
        Assert.That(Processes.WaitGone(pid, TimeSpan.FromSeconds(5)), Is.True, "the daemon exits, dropping every namespace");
    }

    /// <summary>The network namespaces a process holds by fd, by inode.</summary>
    private static Dictionary<string, string> NamespaceFds(int pid) =>
        Directory.GetFiles($"/proc/{pid}/fd")
            .Select(fd => (fd, target: new FileInfo(fd).LinkTarget ?? ""))
            .Where(x => x.target.StartsWith("net:[", StringComparison.Ordinal))
            .GroupBy(x => x.target).ToDictionary(g => g.Key, g => g.First().fd);

    private static string WaitForStatus(NetnsfsMount m, string key, string value)
    {
        Await.Eventually(() => Status(m["status"])[key] == value, TimeSpan.FromSeconds(10));
        return Status(m["status"])[key];
    }

    [Test]
    public void Spare_namespaces_are_made_after_the_first_mkdir_and_freed_by_unmount()
    {
        using var veth = new VethPair();
        int pid;
        using (var m = new NetnsfsMount("multi,spares=3"))
        {
            pid = m.DaemonPid;
            string home = new FileInfo($"/proc/{pid}/ns/net").LinkTarget!;
            Assert.That(Status(m["status"])["spare_namespaces"], Is.EqualTo("0"), "a mount that never creates holds no spares");
            Assert.That(NamespaceFds(pid).Keys.Except([home]), Is.Empty);

            Directory.CreateDirectory(m["a"]);
            Assert.That(WaitForStatus(m, "spare_namespaces", "3"), Is.EqualTo("3"));
            var held = NamespaceFds(pid);
            string a = "net:[" + Status(m["a/status"])["netns_inode"] + "]";
            Assert.That(held.Keys.Except([home]).ToList(), Has.Count.EqualTo(4).And.Contains(a), "a, and three spares");
            var threads = Directory.GetDirectories($"/proc/{pid}/task").Select(t => new FileInfo(t + "/ns/net").LinkTarget).Distinct();
            Assert.That(threads, Is.EquivalentTo(new[] { home }), "the maker went home: no thread keeps a namespace alive");

            // Mark a spare with a veth end: it must vanish with the daemon.
            Run.Checked(veth.MovePeerInto(held.First(kv => kv.Key != home && kv.Key != a).Value));

            // The next mkdirs take spares (the inodes already held) and the pool refills.
            Directory.CreateDirectory(m["b"]);
            string b = "net:[" + Status(m["b/status"])["netns_inode"] + "]";
            Assert.That(held.Keys, Does.Contain(b), "mkdir took a namespace made ahead");
            Assert.That(WaitForStatus(m, "spare_namespaces", "3"), Is.EqualTo("3"));
        }
        Assert.That(Processes.WaitGone(pid, TimeSpan.FromSeconds(5)), Is.True);
        veth.AssertGone("unmount freed the spare");
    }

    [Test]
    public void Spares_0_makes_each_namespace_in_its_mkdir()
    {
        using var m = new NetnsfsMount("multi,spares=0");
        Directory.CreateDirectory(m["a"]);
        Directory.CreateDirectory(m["b"]);
        // A sleep on purpose: the point is that no spare appears, and there is no event for
        // "nothing happened". A refill would start as the mkdir returns; 200 ms lets one show.
        Thread.Sleep(200);
        Assert.That(Status(m["status"])["spare_namespaces"], Is.EqualTo("0"));
        string home = new FileInfo($"/proc/{m.DaemonPid}/ns/net").LinkTarget!;
        Assert.That(NamespaceFds(m.DaemonPid).Keys.Except([home]).ToList(), Has.Count.EqualTo(2), "a and b only");
        Assert.That(File.ReadAllText(m["b/net/dev"]), Does.Contain("lo:"));
    }

    [Test]
    public void Rmdir_with_open_sockets_removes_the_name_but_the_sockets_keep_the_namespace()
    {
        using var m = new NetnsfsMount("multi");
        Directory.CreateDirectory(m["busy"]);
        // A listener and a connection to it, both inside "busy", held by one python process
        // across the rmdir: they still talk afterwards, although the name is gone.
        const string script = """
            import os, sys, time
            d = sys.argv[1]
            try:
                os.open(d + "/busy/tcp/listen/7100", os.O_RDWR | os.O_NONBLOCK)
            except BlockingIOError:
                pass
            c = os.open(d + "/busy/tcp/127.0.0.1/7100", os.O_RDWR)
            a = os.open(d + "/busy/tcp/listen/7100", os.O_RDWR)
            os.rmdir(d + "/busy")
            print("gone", not os.path.exists(d + "/busy"))
            os.write(c, b"still here")
            print(os.read(a, 100).decode())
            """;
        var r = Run.Process(Run.Python3, ["-c", script, m.Dir], TimeSpan.FromSeconds(30));
        Assert.That(r.Stdout, Does.Contain("gone True").And.Contain("still here"), r.ToString());
        Assert.That(Status(m["status"])["namespaces"], Is.EqualTo("0"));
    }
}
