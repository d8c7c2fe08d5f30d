using System.Globalization;
using System.Text.Json.Nodes;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Deploy;

/// <summary>deploy/kubernetes (docs/kubernetes.md): the manifests parse (python3's yaml module,
/// Debian's python3-yaml) and say what the node needs (hostPID, privilege, the mount's volume with
/// Bidirectional propagation, /run/netns, /dev/fuse); every -o option of the DaemonSet's command line
/// is one the binary accepts (asked of the binary itself); and that command line, run here with only
/// the mount point changed, serves namespaces pinned by <c>ip netns add</c> as a node's CNI pins them.</summary>
[TestFixture]
public sealed class KubernetesManifestTests
{
    private static string DeployDir => Path.Combine(Netnsfs.RepoRoot, "deploy", "kubernetes");

    /// <summary>Every YAML document under deploy/kubernetes (examples/ too), as JSON.</summary>
    private const string LoadYamlPy = """
        import json, pathlib, sys
        try:
            import yaml
        except ImportError:
            print("python3's yaml module is missing: apt-get install python3-yaml", file=sys.stderr)
            sys.exit(3)
        root = pathlib.Path(sys.argv[1])
        docs = []
        for p in sorted(root.rglob("*")):
            if p.is_file() and p.suffix in (".yaml", ".yml"):
                with open(p, encoding="utf-8") as f:
                    for i, d in enumerate(yaml.safe_load_all(f)):
                        if d is not None:
                            docs.append({"file": str(p.relative_to(root)), "index": i, "doc": d})
        print(json.dumps(docs))
        """;

    private sealed record Document(string File, int Index, JsonObject Doc)
    {
        public string Kind => (string?)Doc["kind"] ?? "";

        public override string ToString() => $"{File}#{Index} ({Kind})";
    }

    private static List<Document> Documents()
    {
        var r = Run.Python(LoadYamlPy, TimeSpan.FromSeconds(60), DeployDir);
        Assert.That(r.ExitCode, Is.Zero, $"the YAML of {DeployDir} must parse with python3-yaml:\n{r}");
        var list = JsonNode.Parse(r.Stdout)!.AsArray();
        return [.. list.Select(n => new Document((string)n!["file"]!, (int)n["index"]!, n["doc"]!.AsObject()))];
    }

    private static Document TheDaemonSet(List<Document> docs)
    {
        var sets = docs.Where(d => d.Kind == "DaemonSet").ToList();
        Assert.That(sets, Has.Count.EqualTo(1), "one DaemonSet: " + string.Join(", ", docs));
        return sets[0];
    }

    private static JsonObject PodSpec(Document ds) => ds.Doc["spec"]!["template"]!["spec"]!.AsObject();

    private static JsonObject TheContainer(JsonObject podSpec)
    {
        var c = Array(podSpec["containers"]).Select(n => n!.AsObject()).Where(n => (string?)n["name"] == "netnsfs").ToList();
        Assert.That(c, Has.Count.EqualTo(1), "a container named netnsfs");
        return c[0];
    }

    private static JsonArray Array(JsonNode? node) => node as JsonArray ?? [];

    /// <summary>The container's argv: command then args.</summary>
    private static List<string> CommandLine(JsonObject container) =>
        [.. Array(container["command"]).Select(n => (string)n!), .. Array(container["args"]).Select(n => (string)n!)];

    /// <summary>Where in argv the mount point is: the second positional (netnsfs SOURCE MOUNTPOINT),
    /// after argv[0] and skipping each -o and its value.</summary>
    private static int MountPointIndex(List<string> argv)
    {
        int positional = 0;
        for (int i = 1; i < argv.Count; i++)
        {
            if (argv[i] == "-o")
            {
                i++;
                continue;
            }
            if (argv[i].StartsWith('-'))
                continue;
            if (++positional == 2)
                return i;
        }
        Assert.Fail("no mount point in the command line: " + string.Join(' ', argv));
        return -1;
    }

    /// <summary>The items of every -o of argv, in order.</summary>
    private static List<string> OptionItems(List<string> argv)
    {
        var items = new List<string>();
        for (int i = 1; i < argv.Count; i++)
        {
            string? list = argv[i] == "-o" && i + 1 < argv.Count ? argv[++i] : argv[i].StartsWith("-o", StringComparison.Ordinal) && argv[i].Length > 2 ? argv[i][2..] : null;
            if (list is not null)
                items.AddRange(list.Split(',', StringSplitOptions.RemoveEmptyEntries));
        }
        return items;
    }

    private static string? OptionValue(List<string> items, string key) =>
        items.Where(i => i.StartsWith(key + "=", StringComparison.Ordinal)).Select(i => i[(key.Length + 1)..]).LastOrDefault();

    /// <summary>The pin directory the command line watches: watch=DIR, or /run/netns for a bare watch.</summary>
    private static string? WatchedDir(List<string> items) =>
        OptionValue(items, "watch") ?? (items.Contains("watch") ? "/run/netns" : null);

    private static JsonObject VolumeMount(JsonObject container, string mountPath) =>
        Array(container["volumeMounts"]).Select(n => n!.AsObject()).FirstOrDefault(m => (string?)m["mountPath"] == mountPath)
        ?? throw new AssertionException($"container {container["name"]} mounts nothing at {mountPath}");

    private static JsonObject Volume(JsonObject podSpec, string name) =>
        Array(podSpec["volumes"]).Select(n => n!.AsObject()).FirstOrDefault(v => (string?)v["name"] == name)
        ?? throw new AssertionException($"no volume {name}");

    /// <summary>The volume mount whose mountPath is <paramref name="path"/> or one of its parents.</summary>
    private static JsonObject MountHolding(JsonObject container, string path) =>
        Array(container["volumeMounts"]).Select(n => n!.AsObject())
            .Where(m => path == (string?)m["mountPath"] || path.StartsWith(((string?)m["mountPath"])?.TrimEnd('/') + "/", StringComparison.Ordinal))
            .OrderByDescending(m => ((string?)m["mountPath"])!.Length)
            .FirstOrDefault()
        ?? throw new AssertionException($"no volume of container {container["name"]} holds {path}");

    // ---- (a) the manifests ----

    [Test]
    public void Every_document_parses_and_none_asks_for_the_API_server()
    {
        var docs = Documents();
        Assert.That(docs.Select(d => d.Kind), Does.Contain("Namespace").And.Contain("DaemonSet"), string.Join(", ", docs));
        string ns = (string)docs.Single(d => d.Kind == "Namespace").Doc["metadata"]!["name"]!;
        foreach (var d in docs)
        {
            Assert.That((string?)d.Doc["apiVersion"], Is.Not.Null.And.Not.Empty, $"{d}: apiVersion");
            Assert.That((string?)d.Doc["metadata"]?["name"], Is.Not.Null.And.Not.Empty, $"{d}: metadata.name");
            // netnsfs never talks to the API server: no RBAC, no token.
            Assert.That(d.Kind, Is.Not.AnyOf("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ServiceAccount"), $"{d}: nothing needs RBAC");
            if (d.Kind != "Namespace")
                Assert.That((string?)d.Doc["metadata"]!["namespace"], Is.EqualTo(ns), $"{d}: in the {ns} namespace");
        }
        var ds = TheDaemonSet(docs);
        Assert.That((int?)ds.Doc["spec"]!["updateStrategy"]?["rollingUpdate"]?["maxSurge"] ?? 0, Is.Zero,
            "no surge: two daemons on one mount point, and the new init container would detach the live mount");
        Assert.That((bool?)PodSpec(ds)["automountServiceAccountToken"], Is.False, "no token: the daemon asks the API server nothing");
        var selector = ds.Doc["spec"]!["selector"]!["matchLabels"]!.AsObject();
        var labels = ds.Doc["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        foreach (var (k, v) in selector)
            Assert.That((string?)labels[k], Is.EqualTo((string?)v), $"the selector's {k} matches the template's labels");
        Assert.That((string?)docs.Single(d => d.Kind == "Namespace").Doc["metadata"]!["labels"]?["pod-security.kubernetes.io/enforce"], Is.EqualTo("privileged"),
            "hostPID, privileged and hostPath are admitted only at the privileged Pod Security level");
    }

    [Test]
    public void The_DaemonSet_runs_privileged_in_the_hosts_pid_namespace_in_the_foreground()
    {
        var ds = TheDaemonSet(Documents());
        var spec = PodSpec(ds);
        Assert.That((bool?)spec["hostPID"], Is.True, "hostPID: FUSE names callers by their pid in the mounter's pid namespace");
        Assert.That((string?)spec["nodeSelector"]?["kubernetes.io/arch"], Is.EqualTo("amd64"), "the binary runs on x86-64 only");
        var c = TheContainer(spec);
        Assert.That((bool?)c["securityContext"]?["privileged"], Is.True, "privileged: mount(2), setns(2), Bidirectional propagation");
        var argv = CommandLine(c);
        Assert.That(argv, Has.Count.GreaterThan(3), "a command line");
        Assert.That(Path.GetFileName(argv[0]), Is.EqualTo("netnsfs"), "the netnsfs binary: " + string.Join(' ', argv));
        Assert.That(argv, Does.Contain("-f"), "-f: the daemon is the container's process, logging to stderr");
        var items = OptionItems(argv);
        Assert.That(items, Does.Contain("multi").And.Contain("allow_other"), string.Join(',', items));
        Assert.That(WatchedDir(items), Is.EqualTo("/run/netns"), "watch=/run/netns: the node's pins");
        Assert.That(OptionValue(items, "gid"), Is.Not.Null, "a group that agents are let in by");
        uint mode = Convert.ToUInt32(OptionValue(items, "mode") ?? "755", 8);
        Assert.That(mode & 0x7, Is.Zero, $"mode {Convert.ToString(mode, 8)}: others get nothing");
        Assert.That(mode & 0x30, Is.EqualTo(0x30u), $"mode {Convert.ToString(mode, 8)}: the group reads and writes");
        uint stop = uint.Parse(OptionValue(items, "stop_timeout") ?? "5", CultureInfo.InvariantCulture);
        Assert.That((int?)spec["terminationGracePeriodSeconds"] ?? 30, Is.GreaterThan(stop), "the grace period outlasts stop_timeout: SIGTERM unmounts, the daemon exits by then");
    }

    [Test]
    public void The_mount_point_is_in_a_Bidirectional_host_volume_at_the_hosts_own_path()
    {
        var spec = PodSpec(TheDaemonSet(Documents()));
        var c = TheContainer(spec);
        var argv = CommandLine(c);
        string mountPoint = argv[MountPointIndex(argv)];
        var vm = MountHolding(c, mountPoint);
        Assert.That((string?)vm["mountPropagation"], Is.EqualTo("Bidirectional"), $"the mount at {mountPoint} must reach the host");
        Assert.That((bool?)vm["readOnly"] ?? false, Is.False, "the daemon makes its run directory there");
        string mountPath = (string)vm["mountPath"]!;
        var vol = Volume(spec, (string)vm["name"]!);
        Assert.That((string?)vol["hostPath"]?["path"], Is.EqualTo(mountPath),
            "a hostPath at the same path: DIR/NAME/handoff links to /run/netnsfs/PID/NAME.handoff, which must resolve on the host");
        Assert.That(mountPath, Is.EqualTo("/run/netnsfs"), "the daemon's run directories are /run/netnsfs/PID");

        // The mount point is made (and a dead mount of a killed daemon detached) before the daemon starts.
        var init = Array(spec["initContainers"]).Select(n => n!.AsObject()).ToList();
        var maker = init.FirstOrDefault(i => CommandLine(i).Any(a => a.Contains("mkdir -p " + mountPoint, StringComparison.Ordinal)));
        Assert.That(maker, Is.Not.Null, $"an init container makes {mountPoint}");
        Assert.That(CommandLine(maker!).Any(a => a.Contains("umount -l " + mountPoint, StringComparison.Ordinal)), Is.True, "and detaches a dead mount there first");
        Assert.That((string?)MountHolding(maker!, mountPoint)["mountPropagation"], Is.EqualTo("Bidirectional"), "its unmount must reach the host");
        Assert.That((bool?)maker!["securityContext"]?["privileged"], Is.True, "Bidirectional needs privileged");
    }

    [Test]
    public void The_pins_and_dev_fuse_come_from_the_host()
    {
        var spec = PodSpec(TheDaemonSet(Documents()));
        var c = TheContainer(spec);
        string watched = WatchedDir(OptionItems(CommandLine(c))) ?? "/run/netns";
        var pins = VolumeMount(c, watched);
        Assert.That((string?)pins["mountPropagation"], Is.AnyOf("HostToContainer", "Bidirectional"), $"pins made after the start (nsfs bind mounts) must show up in {watched}");
        Assert.That((string?)Volume(spec, (string)pins["name"]!)["hostPath"]?["path"], Is.EqualTo(watched), "the host's own pin directory");
        var fuse = VolumeMount(c, "/dev/fuse");
        var dev = Volume(spec, (string)fuse["name"]!)["hostPath"]!;
        Assert.That((string?)dev["path"], Is.EqualTo("/dev/fuse"));
        Assert.That((string?)dev["type"], Is.EqualTo("CharDevice"));
    }

    [Test]
    public void The_example_pods_are_let_in_by_the_mounts_group_without_privilege()
    {
        var docs = Documents();
        var c = TheContainer(PodSpec(TheDaemonSet(docs)));
        var items = OptionItems(CommandLine(c));
        long gid = long.Parse(OptionValue(items, "gid")!, CultureInfo.InvariantCulture);
        var pods = docs.Where(d => d.Kind == "Pod").ToList();
        Assert.That(pods, Is.Not.Empty, "an example pod (examples/)");
        foreach (var pod in pods)
        {
            var spec = pod.Doc["spec"]!.AsObject();
            var sc = spec["securityContext"];
            var groups = Array(sc?["supplementalGroups"]).Select(n => (long)n!).Append((long?)sc?["runAsGroup"] ?? -1);
            Assert.That(groups, Does.Contain(gid), $"{pod}: a member of gid {gid}");
            Assert.That((bool?)sc?["runAsNonRoot"], Is.True, $"{pod}: not root (root would be let in regardless)");
            foreach (var pc in Array(spec["containers"]).Select(n => n!.AsObject()))
            {
                Assert.That((bool?)pc["securityContext"]?["privileged"] ?? false, Is.False, $"{pod}: unprivileged");
                var vm = VolumeMount(pc, "/run/netnsfs");
                Assert.That((string?)vm["mountPropagation"], Is.EqualTo("HostToContainer"), $"{pod}: the mount made later must show up");
                Assert.That((string?)Volume(spec, (string)vm["name"]!)["hostPath"]?["path"], Is.EqualTo("/run/netnsfs"));
            }
        }
    }

    // ---- (b) the options, asked of the binary ----

    /// <summary>Runs the binary's mount command line with a mount point that does not exist: the
    /// binary parses every -o item (unknown ones refused, values checked, then combinations) before it
    /// looks at the mount point, so "no such directory" means all of it was accepted, and nothing is
    /// ever mounted.</summary>
    private static RunResult Probe(IEnumerable<string> args) =>
        Run.Process(Netnsfs.Binary, args, TimeSpan.FromSeconds(30));

    private static readonly string Missing = "/nonexistent-netnsfs-probe-" + Guid.NewGuid().ToString("N");

    private static bool Accepted(RunResult r) => r.ExitCode == 2 && r.Stderr.Contains("no such directory", StringComparison.Ordinal);

    /// <summary>Why the binary refuses an -o item, or null if it takes it.</summary>
    private static string? Refusal(string item)
    {
        var r = Probe(["netnsfs", Missing, "-o", item]);
        if (!r.Stderr.Contains("unknown mount option", StringComparison.Ordinal))
            return null;
        string key = item.Split('=')[0];
        string why = $"-o {item}: {Netnsfs.Binary} says: {r.Stderr.Trim()}";
        if (key == "watch")
        {
            bool inSource = File.ReadAllText(Path.Combine(Netnsfs.RepoRoot, "src", "NetnsFs.Cli", "MountOptions.cs")).Contains("\"watch\"", StringComparison.Ordinal);
            why += inSource
                ? " — src/NetnsFs.Cli/MountOptions.cs has \"watch\": this binary is older than the source; make publish"
                : " — the watch option (-o multi,watch=PINDIR, issue 21) is not in this tree yet: src/NetnsFs.Cli/MountOptions.cs does not mention it. The DaemonSet needs it.";
        }
        return why;
    }

    [Test]
    public void Every_option_of_the_DaemonSets_command_line_is_one_the_binary_accepts()
    {
        var argv = CommandLine(TheContainer(PodSpec(TheDaemonSet(Documents()))));
        var items = OptionItems(argv);
        Assert.That(items, Is.Not.Empty);
        var refused = items.Select(Refusal).OfType<string>().ToList();
        Assert.That(refused, Is.Empty, "options the binary refuses:\n" + string.Join('\n', refused));

        // The whole command line, the mount point aside: flags, positionals, values and combinations.
        var probe = argv.Skip(1).ToList();
        probe[MountPointIndex(argv) - 1] = Missing;
        var r = Probe(probe);
        Assert.That(Accepted(r), Is.True, $"{Netnsfs.Binary} {string.Join(' ', probe)} must parse and stop only at the missing mount point:\n{r}");
    }

    // ---- the node, simulated ----

    [Test]
    public void The_mount_propagates_to_a_simulated_node_and_a_dead_one_is_cleaned_up()
    {
        // deploy/kubernetes/simulate-node: the manifest's command line and init script in mount
        // namespaces shaped as the kubelet and containerd shape them (docs/kubernetes.md).
        var r = Run.Process(Path.Combine(DeployDir, "simulate-node"), [Netnsfs.Binary], TimeSpan.FromSeconds(120));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout, Does.Contain("simulate-node: all as expected"), r.ToString());
        Assert.That(r.Stdout, Does.Contain("the node dials the pod through it: from the pod"), r.ToString());
    }

    // ---- (c) the command line, run here ----

    private const string PodServerPy = """
        import http.server, socket, socketserver, sys, threading
        port = int(sys.argv[1])
        class Echo(socketserver.StreamRequestHandler):
            def handle(self):
                for line in self.rfile:
                    self.wfile.write(b"pod: " + line)
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        tcp = socketserver.ThreadingTCPServer(("127.0.0.1", port), Echo)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", port))
        class Hello(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"hello from the pod\n"
                self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
                self.wfile.write(body)
            def log_message(self, *a):
                pass
        web = http.server.ThreadingHTTPServer(("127.0.0.1", port + 1), Hello)
        def udp_echo():
            while True:
                data, peer = udp.recvfrom(65536)
                udp.sendto(b"pod: " + data, peer)
        for f in (tcp.serve_forever, web.serve_forever, udp_echo):
            threading.Thread(target=f, daemon=True).start()
        print("ready", flush=True)
        threading.Event().wait()
        """;

    /// <summary>Through the mount's files: a TCP line echoed, a UDP datagram echoed; then, with the
    /// TCP connection held open, waits (30 s at most) for the file argv[3] and echoes once more.</summary>
    private const string DialPy = """
        import os, sys, time
        d, port, go = sys.argv[1], sys.argv[2], sys.argv[3]
        fd = os.open(os.path.join(d, "tcp", "127.0.0.1", port), os.O_RDWR)
        os.write(fd, b"hello\n"); print("tcp", os.read(fd, 100).decode().strip(), flush=True)
        u = os.open(os.path.join(d, "udp", "127.0.0.1", port), os.O_RDWR)
        os.write(u, b"datagram"); print("udp", os.read(u, 100).decode().strip(), flush=True)
        os.close(u)
        print("holding", flush=True)
        deadline = time.monotonic() + 30
        while not os.path.exists(go) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.write(fd, b"again\n"); print("tcp", os.read(fd, 100).decode().strip(), flush=True)
        """;

    private static void Pin(string name)
    {
        Run.Checked(Run.Process("ip", ["netns", "add", name]));
        Run.Checked(Run.Process("ip", ["-n", name, "link", "set", "lo", "up"]));
    }

    private static void Unpin(string name)
    {
        if (File.Exists("/run/netns/" + name))
            Run.Process("ip", ["netns", "del", name], TimeSpan.FromSeconds(10));
    }

    [Test]
    public void The_DaemonSets_command_line_serves_the_pods_pinned_on_the_node()
    {
        var argv = CommandLine(TheContainer(PodSpec(TheDaemonSet(Documents()))));
        string? watch = OptionItems(argv).FirstOrDefault(i => i == "watch" || i.StartsWith("watch=", StringComparison.Ordinal));
        Assert.That(watch, Is.Not.Null, "the DaemonSet's command line has -o watch");
        if (Refusal(watch!) is { } why)
            Assert.Fail("the DaemonSet's command line cannot run here: " + why);
        string pins = WatchedDir(OptionItems(argv))!;
        Assert.That(pins, Is.EqualTo("/run/netns"), "ip netns add pins where the DaemonSet watches");

        using var tmp = new TempDir("k8s");
        string mnt = tmp.Sub("pods");
        var args = argv.Skip(1).ToList();
        args[MountPointIndex(argv) - 1] = mnt; // the only change: the mount point
        Assert.That(args, Does.Contain("-f"));

        string early = SocketKit.UniqueName("cni-k8s-"); // pinned before the daemon starts
        string late = SocketKit.UniqueName("cni-k8s-");  // pinned while it runs (inotify)
        const int port = 7611;
        Background? daemon = null;
        Background? server = null;
        Background? client = null;
        try
        {
            Pin(early);
            daemon = new Background(Netnsfs.Binary, args);
            Await.Until(() => Mounts.IsMounted(mnt) || daemon.HasExited, TimeSpan.FromSeconds(20), $"the mount at {mnt}", () => daemon.ToString());
            Assert.That(Mounts.IsMounted(mnt), Is.True, "mounted:\n" + daemon);
            Await.Until(() => Directory.Exists(Path.Combine(mnt, early)), TimeSpan.FromSeconds(10), $"{mnt}/{early}, pinned before the start",
                () => string.Join(' ', SocketKit.Ls(mnt)) + "\n" + daemon.Stderr);

            Pin(late);
            Await.Until(() => Directory.Exists(Path.Combine(mnt, late)), TimeSpan.FromSeconds(10), $"{mnt}/{late}, pinned while the daemon runs",
                () => string.Join(' ', SocketKit.Ls(mnt)) + "\n" + daemon.Stderr);

            server = new Background("ip", ["netns", "exec", late, Run.Python3, "-c", PodServerPy, port.ToString(CultureInfo.InvariantCulture)]);
            server.WaitReady();

            string dir = Path.Combine(mnt, late);
            string go = Path.Combine(tmp.Path, "go");
            client = new Background(Run.Python3, ["-c", DialPy, dir, port.ToString(CultureInfo.InvariantCulture), go]);
            Assert.That(client.WaitLine(l => l.StartsWith("tcp", StringComparison.Ordinal), SocketKit.Long), Is.EqualTo("tcp pod: hello"), "a TCP dial into the pod's namespace");
            Assert.That(client.WaitLine(l => l.StartsWith("udp", StringComparison.Ordinal), SocketKit.Long), Is.EqualTo("udp pod: datagram"), "a UDP datagram there and back");
            client.WaitLine(l => l == "holding", SocketKit.Long);

            // The other namespace is another pod: nothing listens there.
            var other = Run.Python("import os, sys\ntry:\n    os.open(sys.argv[1], os.O_RDWR); print('open')\nexcept OSError as e:\n    print(e.strerror)",
                Path.Combine(mnt, early, "tcp", "127.0.0.1", port.ToString(CultureInfo.InvariantCulture)));
            Assert.That(other.Stdout.Trim(), Is.EqualTo("Connection refused"), "each pod's namespace is its own\n" + other);

            // netnsfs run --net: an unmodified curl, its sockets made in the pod's namespace.
            var curl = Run.Process(Netnsfs.Binary, ["run", "--net", dir + "/", "--", "curl", "-s", "--max-time", "20", $"http://127.0.0.1:{port + 1}/"], TimeSpan.FromSeconds(60));
            Assert.That(curl.Stdout, Is.EqualTo("hello from the pod\n"), curl.ToString());

            // The pin goes (the sandbox is torn down): the directory goes, the open connection stays.
            Unpin(late);
            Await.Until(() => !Directory.Exists(dir), TimeSpan.FromSeconds(10), $"{dir} gone with its pin", () => string.Join(' ', SocketKit.Ls(mnt)));
            Assert.That(Directory.Exists(Path.Combine(mnt, early)), Is.True, "the other pod's directory stays");
            File.WriteAllText(go, "");
            Assert.That(client.WaitLine(l => l.StartsWith("tcp pod: again", StringComparison.Ordinal) || l.StartsWith("tcp", StringComparison.Ordinal) && l != "tcp pod: hello", SocketKit.Long),
                Is.EqualTo("tcp pod: again"), "a connection opened before the pin went still works (the mount holds the namespace)");
            Assert.That(client.WaitExitCode(TimeSpan.FromSeconds(10)), Is.Zero, client.ToString());
        }
        finally
        {
            client?.Dispose();
            server?.Dispose();
            Unpin(late);
            Unpin(early);
            if (Mounts.IsMounted(mnt))
                Mounts.Detach(mnt);
            if (daemon is not null && !daemon.WaitExit(TimeSpan.FromSeconds(10)))
                TestContext.Progress.WriteLine("netnsfs did not exit 10 s after its unmount; killed");
            daemon?.Dispose();
        }
    }
}
