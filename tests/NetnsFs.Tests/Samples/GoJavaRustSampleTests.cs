using System.Diagnostics;
using System.Globalization;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Samples;

/// <summary>The Go, Java and Rust samples, each compiled here (into a directory of this run) with
/// Debian's toolchain and run against a live mount: socket files for a GET and a server, a socket
/// handed over by the daemon (Go speaks the handoff itself) or by netnsfs exec as fd 3, and one JVM
/// holding connections in two namespaces at once. A missing toolchain fails, naming `make deps`.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class GoJavaRustSampleTests
{
    private const int HttpPort = 8080;
    private const int EchoPort = 7000;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan BuildLimit = TimeSpan.FromSeconds(600);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _built = [];
    private TempDir? _builds;

    [OneTimeTearDown]
    public void RemoveBuilds() => _builds?.Dispose();

    [TestCase("go")]
    [TestCase("java")]
    [TestCase("rust")]
    public void Each_sample_directory_has_a_two_line_README(string lang)
    {
        string readme = SamplePrograms.File(lang, "README.md");
        Assert.That(File.Exists(readme), Is.True, readme);
        var lines = File.ReadAllLines(readme).Where(l => l.Trim().Length > 0).ToList();
        Assert.That(lines, Has.Count.EqualTo(2), $"{readme}: two lines, how to run it");
    }

    [Test]
    public void Go_http_get_through_os_OpenFile_of_a_socket_file()
    {
        string bin = Go("http-get.go");
        using var web = new SampleProgramTests.WebServerInNamespace();
        AssertPage(Run.Process(bin, [web.Mount.Dir, "127.0.0.1", Num(HttpPort), "/index.html"], Limit), web);
    }

    /// <summary>Go's own handoff client: net.FileConn accepts the fd, so it is a kernel socket
    /// (a socket file would be refused), with the peer's address of the namespace.</summary>
    [Test]
    public void Go_http_get_over_a_handed_over_socket_is_a_real_net_Conn()
    {
        string bin = Go("handoff-get.go", "netnsfs.go");
        using var web = new SampleProgramTests.WebServerInNamespace();
        var run = Run.Process(bin, [web.Mount.Dir, "127.0.0.1", Num(HttpPort), "/index.html"], Limit);
        AssertPage(run, web);
        Assert.That(run.Stderr, Does.Match(@"connected 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:8080"), run.ToString());
    }

    [Test]
    public void Go_echo_server_on_a_listening_socket_handed_over_through_the_handoff_protocol()
    {
        string bin = Go("handoff-server.go", "netnsfs.go");
        using var m = new NetnsfsMount("create");
        using var server = new Background(bin, [m.Dir, Num(EchoPort), "2"], workingDirectory: "/");
        ServeTwoClients(m, server);
        // The socket was the server's own: the mount never listened there, and it closed with it.
        Assert.That(Directory.GetFileSystemEntries(m["tcp/listen"]), Is.Empty);
        Assert.That(Namespace.Listens(m.Dir, EchoPort), Is.False, "the listening socket closed with its server");
    }

    /// <summary>A handoff refusal comes back as the daemon's errno: nothing listens, so a dial is
    /// ECONNREFUSED, and the program says so.</summary>
    [Test]
    public void Go_handoff_client_reports_the_daemons_errno()
    {
        string bin = Go("handoff-get.go", "netnsfs.go");
        using var m = new NetnsfsMount("create");
        var run = Run.Process(bin, [m.Dir, "127.0.0.1", Num(HttpPort)], Limit);
        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Stderr, Does.Contain("connection refused"), run.ToString());
    }

    [Test]
    public void Go_echo_server_on_fd_3_from_netnsfs_exec() =>
        ExecServer(Go("exec-server.go"));

    [Test]
    public void Java_http_get_with_java_io_streams_on_a_socket_file()
    {
        string classes = JavaClasses();
        using var web = new SampleProgramTests.WebServerInNamespace();
        AssertPage(Run.Process(Java, ["-cp", classes, "HttpGet", web.Mount.Dir, "127.0.0.1", Num(HttpPort), "/index.html"], Limit), web);
    }

    [Test]
    public void Java_echo_server_with_a_FileChannel_on_tcp_listen_accepts_one_client_per_open()
    {
        string classes = JavaClasses();
        using var m = new NetnsfsMount("create");
        using var server = new Background(Java, ["-cp", classes, "EchoServer", m.Dir, Num(EchoPort), "2"], workingDirectory: "/");
        ServeTwoClients(m, server);
        // This listener belongs to the mount and stays until unmount or rm.
        Assert.That(Directory.GetFileSystemEntries(m["tcp/listen"]).Select(Path.GetFileName), Does.Contain(Num(EchoPort)));
    }

    /// <summary>Two namespaces, each with its own server on the same 127.0.0.1:8080: one JVM holds a
    /// connection in both at once and each answer comes from its own namespace.</summary>
    [Test]
    public void Java_one_JVM_talks_to_two_namespaces_at_once()
    {
        string classes = JavaClasses();
        using var a = new SampleProgramTests.WebServerInNamespace();
        using var b = new SampleProgramTests.WebServerInNamespace();
        var run = Run.Process(Java, ["-cp", classes, "MultiGet", "127.0.0.1", Num(HttpPort), "/index.html", a.Mount.Dir, b.Mount.Dir], Limit);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        string[] parts = run.Stdout.Split("== ", StringSplitOptions.RemoveEmptyEntries);
        Assert.That(parts, Has.Length.EqualTo(2), run.ToString());
        foreach (var (part, web, other) in new[] { (parts[0], a, b), (parts[1], b, a) })
        {
            Assert.That(part, Does.StartWith(web.Mount.Dir + "\nHTTP/1.0 200"), run.ToString());
            Assert.That(part, Does.Contain(web.Token).And.Not.Contain(other.Token), "each answer from its own namespace: " + run);
        }
    }

    [Test]
    public void Rust_http_get_through_OpenOptions_read_write_of_a_socket_file()
    {
        string bin = Rust("http_get");
        using var web = new SampleProgramTests.WebServerInNamespace();
        AssertPage(Run.Process(bin, [web.Mount.Dir, "127.0.0.1", Num(HttpPort), "/index.html"], Limit), web);
    }

    [Test]
    public void Rust_echo_server_on_fd_3_from_netnsfs_exec() =>
        ExecServer(Rust("exec_server"));

    /// <summary>netnsfs exec hands a listening socket of the namespace over as fd 3: the server
    /// echoes two clients and exits 0; outside netnsfs exec it says how to run it (exit 2) rather
    /// than taking a stray fd 3 for a listener.</summary>
    private static void ExecServer(string bin)
    {
        using var m = new NetnsfsMount("create");
        using (var server = new Background(Netnsfs.Binary, ["exec", m.Dir, "--socket", $"tcp/listen/{Num(EchoPort)}", "--", bin, "2"], workingDirectory: "/"))
        {
            ServeTwoClients(m, server);
        }
        Assert.That(Directory.GetFileSystemEntries(m["tcp/listen"]), Is.Empty, "the socket was the server's, not the mount's");
        var bare = Run.Process(bin, ["2"], Limit);
        Assert.That(bare.ExitCode, Is.EqualTo(2), bare.ToString());
        Assert.That(bare.Stderr, Does.Contain("netnsfs exec"), bare.ToString());
    }

    private static void AssertPage(RunResult run, SampleProgramTests.WebServerInNamespace web)
    {
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.StartWith("HTTP/1.0 200"), run.ToString());
        Assert.That(run.Stdout, Does.Contain(web.Token), run.ToString());
    }

    /// <summary>Two clients in turn, each echoed whole; then the server, told to serve two, exits 0.</summary>
    private static void ServeTwoClients(NetnsfsMount m, Background server)
    {
        Assert.That(Namespace.WaitListening(m.Dir, EchoPort, TimeSpan.FromSeconds(60), server), Is.True, "the server listens: " + server);
        for (int i = 1; i <= 2; i++)
        {
            string text = $"hello {i} from {Guid.NewGuid():N}\nsecond line {i}\n";
            Assert.That(Namespace.EchoClient(m.Dir, EchoPort, text), Is.EqualTo(text), $"client {i}: " + server);
        }
        Assert.That(server.WaitExitCode(TimeSpan.FromSeconds(30)), Is.Zero, "the server exits 0 after two clients: " + server);
    }

    // ---- building, once per run per program, into a directory removed at the end of the run ----

    /// <summary>Debian's toolchains by absolute path (root's ~/.cargo rustc is no one else's).</summary>
    private const string GoTool = "/usr/bin/go";
    private const string Javac = "/usr/bin/javac";
    private const string Java = "/usr/bin/java";
    private const string Rustc = "/usr/bin/rustc";

    /// <summary>go build of the files of one program (the first names it); standard library only,
    /// no module downloads (GOPROXY=off, no go.mod), caches in this run's directory.</summary>
    private string Go(params string[] files)
    {
        Toolchain(GoTool, "golang-go");
        string name = Path.GetFileNameWithoutExtension(files[0]);
        return Built("go:" + name, dir =>
        {
            string bin = Path.Combine(dir, name);
            var env = new Dictionary<string, string>
            {
                ["GOCACHE"] = Path.Combine(dir, "gocache"),
                ["GOPATH"] = Path.Combine(dir, "gopath"),
                ["HOME"] = dir,
                ["GOPROXY"] = "off",
                ["GOFLAGS"] = "",
                ["GOTOOLCHAIN"] = "local",
                ["CGO_ENABLED"] = "0",
            };
            return (bin, Run.Process(GoTool, ["build", "-o", bin, .. files.Select(f => SamplePrograms.File("go", f))], BuildLimit, env: env));
        });
    }

    /// <summary>javac of all the Java samples into one class directory.</summary>
    private string JavaClasses()
    {
        Toolchain(Javac, "default-jdk-headless");
        Toolchain(Java, "default-jdk-headless");
        return Built("java", dir =>
        {
            string classes = Path.Combine(dir, "classes");
            var sources = Directory.GetFiles(SamplePrograms.Dir("java"), "*.java").Order(StringComparer.Ordinal);
            return (classes, Run.Process(Javac, ["-Xlint:all", "-Werror", "-d", classes, .. sources], BuildLimit));
        });
    }

    /// <summary>rustc --edition 2021 -O of one program, warnings denied.</summary>
    private string Rust(string name)
    {
        Toolchain(Rustc, "rustc");
        return Built("rust:" + name, dir =>
        {
            string bin = Path.Combine(dir, name);
            return (bin, Run.Process(Rustc, ["--edition", "2021", "-O", "-D", "warnings", "-o", bin, SamplePrograms.File("rust", name + ".rs")], BuildLimit));
        });
    }

    private static void Toolchain(string tool, string package)
    {
        if (!File.Exists(tool))
            Assert.Fail($"{tool} is missing: install Debian's {package} (`make deps` does, as root)");
    }

    /// <summary>The output of <paramref name="build"/>, made once per run; its time is logged.</summary>
    private string Built(string key, Func<string, (string Output, RunResult Run)> build)
    {
        lock (_gate)
        {
            if (_built.TryGetValue(key, out var output))
                return output;
            _builds ??= new TempDir("gjrbuild");
            var sw = Stopwatch.StartNew();
            var (made, run) = build(_builds.Path);
            Assert.That(run.ExitCode, Is.Zero, $"building {key}: {run}");
            TestContext.Progress.WriteLine($"built {key} in {sw.Elapsed.TotalSeconds:F1} s");
            _built[key] = made;
            return made;
        }
    }

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);
}
