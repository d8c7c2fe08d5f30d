using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Samples;

/// <summary>Every sample under samples/LANG runs against a live mount: an HTTP GET to a server
/// inside the namespace through tcp/HOST/PORT, an echo server through tcp/listen/PORT (one open,
/// one client), and an echo server on a real socket handed over by the daemon.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SampleProgramTests
{
    private const int HttpPort = 8080;
    private const int EchoPort = 7000;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static IEnumerable<string> Languages => SamplePrograms.Languages;

    private static IEnumerable<string> HandoffLanguages => SamplePrograms.Languages.Where(l => l != "bash");

    [TestCaseSource(nameof(Languages))]
    public void Each_sample_directory_has_a_two_line_README_and_its_programs(string lang)
    {
        string readme = SamplePrograms.File(lang, "README.md");
        Assert.That(File.Exists(readme), Is.True, readme);
        var lines = File.ReadAllLines(readme).Where(l => l.Trim().Length > 0).ToList();
        Assert.That(lines, Has.Count.EqualTo(2), $"{readme}: two lines, how to run it");
        var programs = Directory.GetFiles(SamplePrograms.Dir(lang)).Select(Path.GetFileName).ToList();
        Assert.That(programs.Count(p => p!.Contains("get", StringComparison.OrdinalIgnoreCase) || p == "Program.cs"), Is.GreaterThan(0), string.Join(", ", programs));
    }

    /// <summary>A web server inside a namespace that only the mount reaches; the sample fetches a
    /// page through DIR/tcp/127.0.0.1/8080.</summary>
    [TestCaseSource(nameof(Languages))]
    public void Http_get_through_the_mount_reaches_a_server_inside_the_namespace(string lang)
    {
        var (file, args) = SamplePrograms.HttpGet(lang, "MOUNT", "127.0.0.1", HttpPort, "/index.html"); // builds first
        using var web = new WebServerInNamespace();
        var run = Run.Process(file, args.Select(a => a == "MOUNT" ? web.Mount.Dir : a), Limit);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.StartWith("HTTP/1.0 200"), run.ToString());
        Assert.That(run.Stdout, Does.Contain(web.Token), run.ToString());
    }

    /// <summary>bash's handoff: netnsfs exec hands a real connected socket over as fd 3.</summary>
    [Test]
    public void Bash_http_get_over_a_socket_handed_over_by_netnsfs_exec()
    {
        using var web = new WebServerInNamespace();
        var run = Run.Process(Netnsfs.Binary,
            ["exec", web.Mount.Dir, "--socket", $"tcp/127.0.0.1/{HttpPort}", "--", "/bin/bash", SamplePrograms.File("bash", "handoff-get.sh"), "127.0.0.1", "/index.html"], Limit);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.StartWith("HTTP/1.0 200"), run.ToString());
        Assert.That(run.Stdout, Does.Contain(web.Token), run.ToString());

        // Outside netnsfs exec it says how to run it, rather than writing to a stray fd 3.
        var bare = Run.Process("/bin/bash", [SamplePrograms.File("bash", "handoff-get.sh"), "127.0.0.1"], Limit);
        Assert.That(bare.ExitCode, Is.EqualTo(2), bare.ToString());
        Assert.That(bare.Stderr, Does.Contain("netnsfs exec"));
    }

    [TestCaseSource(nameof(Languages))]
    public void Echo_server_on_tcp_listen_accepts_one_client_per_open(string lang)
    {
        var (file, args) = SamplePrograms.EchoServer(lang, "MOUNT", EchoPort, 2);
        using var m = new NetnsfsMount("create");
        using var server = new Background(file, args.Select(a => a == "MOUNT" ? m.Dir : a), workingDirectory: "/");
        ServeTwoClients(m, server);
        // The listener belongs to the mount and stays until unmount or rm.
        Assert.That(Directory.GetFileSystemEntries(m["tcp/listen"]).Select(Path.GetFileName), Does.Contain(EchoPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [TestCaseSource(nameof(HandoffLanguages))]
    public void Echo_server_on_a_handed_over_listening_socket(string lang)
    {
        var (file, args) = SamplePrograms.HandoffServer(lang, "MOUNT", EchoPort, 2);
        using var m = new NetnsfsMount("create");
        using var server = new Background(file, args.Select(a => a == "MOUNT" ? m.Dir : a), workingDirectory: "/");
        ServeTwoClients(m, server);
        // The socket was the server's own: the mount never listened there.
        Assert.That(Directory.GetFileSystemEntries(m["tcp/listen"]), Is.Empty);
        Assert.That(Namespace.Listens(m.Dir, EchoPort), Is.False, "the listening socket closed with its server");
    }

    /// <summary>Two clients in turn (the second queues in the backlog while the first is served),
    /// each echoed whole; then the server, told to serve two, exits 0.</summary>
    private static void ServeTwoClients(NetnsfsMount m, Background server)
    {
        Assert.That(Namespace.WaitListening(m.Dir, EchoPort, TimeSpan.FromSeconds(60), server), Is.True, "the server listens: " + server);
        for (int i = 1; i <= 2; i++)
        {
            string text = $"hello {i} from {Guid.NewGuid():N}\nsecond line {i}\n";
            string got = Namespace.EchoClient(m.Dir, EchoPort, text);
            Assert.That(got, Is.EqualTo(text), $"client {i}: " + server);
        }
        Assert.That(server.WaitExitCode(TimeSpan.FromSeconds(30)), Is.Zero, "the server exits 0 after two clients: " + server);
    }

    /// <summary>python3 -m http.server on 127.0.0.1:8080 of a namespace held by a sleeping process,
    /// and a netnsfs mount of that namespace. Dispose unmounts and stops both.</summary>
    internal sealed class WebServerInNamespace : IDisposable
    {
        private readonly NamespaceHolder _ns = new();
        private readonly TempDir _www = new("www");

        public WebServerInNamespace()
        {
            try
            {
                Token = $"token-{Guid.NewGuid():N}";
                File.WriteAllText(Path.Combine(_www.Path, "index.html"), $"<p>{Token}</p>\n");
                var server = _ns.Start(Run.Python3, "-m", "http.server", "8080", "--bind", "127.0.0.1", "--directory", _www.Path);
                Mount = new NetnsfsMount($"netns={_ns.Path}");
                Await.Eventually(() => Namespace.Listens(Mount.Dir, HttpPort) || server.HasExited, TimeSpan.FromSeconds(30), pollMs: 50);
                Assert.That(Namespace.Listens(Mount.Dir, HttpPort), Is.True, "http.server listens inside the namespace");
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public NetnsfsMount Mount { get; } = null!;

        public string Token { get; } = "";

        public void Dispose()
        {
            Mount?.Dispose();
            _ns.Dispose();
            _www.Dispose();
        }
    }
}
