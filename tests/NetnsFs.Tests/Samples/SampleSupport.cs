using System.Globalization;
using System.Net.Sockets;
using System.Text;
using NetnsFs.Client;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Samples;

/// <summary>Where the samples are, and how each language runs them (compiling C and C# once per run).</summary>
internal static class SamplePrograms
{
    public static readonly string[] Languages = ["bash", "python", "c", "csharp", "node", "perl"];

    public static string Dir(string lang) => Path.Combine(Netnsfs.RepoRoot, "samples", lang);

    public static string File(string lang, string name) => Path.Combine(Dir(lang), name);

    /// <summary>Build configuration of this test run (the directory above net10.0).</summary>
    public static string Config => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    /// <summary>`SAMPLE MOUNT HOST PORT PATH`: an HTTP GET through MOUNT/tcp/HOST/PORT.</summary>
    public static (string File, string[] Args) HttpGet(string lang, string mount, string host, int port, string path)
    {
        string[] a = [mount, host, Num(port), path];
        return lang switch
        {
            "bash" => ("/bin/bash", [File("bash", "http-get.sh"), .. a]),
            "python" => (Run.Python3, [File("python", "http_get.py"), .. a]),
            "c" => (SampleBuilds.C("http-get"), a),
            "csharp" => ("dotnet", [SampleBuilds.CSharp(), "get", .. a]),
            "node" => ("node", [File("node", "http-get.js"), .. a]),
            "perl" => ("perl", [File("perl", "http-get.pl"), .. a]),
            _ => throw new ArgumentException(lang),
        };
    }

    /// <summary>`SAMPLE MOUNT PORT COUNT`: an echo server on MOUNT/tcp/listen/PORT for COUNT clients.</summary>
    public static (string File, string[] Args) EchoServer(string lang, string mount, int port, int count)
    {
        string[] a = [mount, Num(port), Num(count)];
        return lang switch
        {
            "bash" => ("/bin/bash", [File("bash", "echo-server.sh"), .. a]),
            "python" => (Run.Python3, [File("python", "echo_server.py"), .. a]),
            "c" => (SampleBuilds.C("echo-server"), a),
            "csharp" => ("dotnet", [SampleBuilds.CSharp(), "echo", .. a]),
            "node" => ("node", [File("node", "echo-server.js"), .. a]),
            "perl" => ("perl", [File("perl", "echo-server.pl"), .. a]),
            _ => throw new ArgumentException(lang),
        };
    }

    /// <summary>An echo server on a real listening socket handed over for tcp/listen/PORT.</summary>
    public static (string File, string[] Args) HandoffServer(string lang, string mount, int port, int count)
    {
        string[] a = [mount, Num(port), Num(count)];
        return lang switch
        {
            "python" => (Run.Python3, [File("python", "handoff_server.py"), .. a]),
            "c" => (SampleBuilds.C("handoff-server"), a),
            "csharp" => ("dotnet", [SampleBuilds.CSharp(), "handoff", .. a]),
            "perl" => ("perl", [File("perl", "handoff-server.pl"), .. a]),
            // node cannot receive fds: netnsfs exec hands the socket over as fd 3
            "node" => (Netnsfs.Binary, ["exec", mount, "--socket", $"tcp/listen/{Num(port)}", "--", "node", File("node", "handoff-server.js"), Num(count)]),
            _ => throw new ArgumentException(lang),
        };
    }

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The compiled samples: C with cc into a directory of this run, C# with dotnet build into
/// samples/csharp/bin. Each once per run; the directory goes at the end of the run.</summary>
[SetUpFixture]
public sealed class SampleBuilds
{
    private static readonly object Gate = new();
    private static TempDir? _cDir;
    private static readonly Dictionary<string, string> CBinaries = [];
    private static string? _csharpDll;

    public static string C(string name)
    {
        lock (Gate)
        {
            if (CBinaries.TryGetValue(name, out var bin))
                return bin;
            _cDir ??= new TempDir("cbuild");
            bin = Path.Combine(_cDir.Path, name);
            var cc = Run.Process("cc", ["-O2", "-Wall", "-Wextra", "-Werror", "-o", bin, SamplePrograms.File("c", name + ".c")], TimeSpan.FromSeconds(120));
            Assert.That(cc.ExitCode, Is.Zero, $"cc {name}.c: {cc}");
            CBinaries[name] = bin;
            return bin;
        }
    }

    public static string CSharp()
    {
        lock (Gate)
        {
            if (_csharpDll is not null)
                return _csharpDll;
            string project = Path.Combine(SamplePrograms.Dir("csharp"), "NetnsFsSamples.csproj");
            // No build servers left behind: they would keep this run's output pipes open.
            var env = new Dictionary<string, string> { ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };
            var build = Run.Process("dotnet", ["build", project, "-c", SamplePrograms.Config, "--nologo", "-v", "q", "-nodeReuse:false", "-p:UseSharedCompilation=false"],
                TimeSpan.FromSeconds(600), env: env);
            Assert.That(build.ExitCode, Is.Zero, $"dotnet build {project}: {build}");
            string dll = Path.Combine(SamplePrograms.Dir("csharp"), "bin", SamplePrograms.Config, "net10.0", "netnsfs-samples.dll");
            Assert.That(System.IO.File.Exists(dll), Is.True, dll);
            _csharpDll = dll;
            return dll;
        }
    }

    [OneTimeTearDown]
    public void RemoveBuilds()
    {
        lock (Gate)
        {
            _cDir?.Dispose();
            _cDir = null;
            CBinaries.Clear();
        }
    }
}

/// <summary>What the sample tests do against a live mount.</summary>
internal static class Namespace
{
    /// <summary>Whether a TCP socket of the mount's namespace listens on <paramref name="port"/>
    /// (its /proc/net/tcp and tcp6, read through the mount).</summary>
    public static bool Listens(string mount, int port) => ProcNet.Listens(Path.Combine(mount, "net"), port);

    /// <summary>Waits until something listens on <paramref name="port"/>; false after the timeout
    /// or once <paramref name="server"/> exited.</summary>
    public static bool WaitListening(string mount, int port, TimeSpan timeout, Background? server = null) =>
        Await.Eventually(() => Listens(mount, port) || server is { HasExited: true }, timeout, pollMs: 50) && Listens(mount, port);

    /// <summary>One echo client: connects inside the namespace (a socket handed over by the mount),
    /// sends <paramref name="text"/>, half-closes, and returns all it reads until the server closes.</summary>
    public static string EchoClient(string mount, int port, string text)
    {
        using var s = NetnsSocket.Open(mount, $"tcp/127.0.0.1/{port.ToString(CultureInfo.InvariantCulture)}");
        s.ReceiveTimeout = 15000;
        s.SendTimeout = 15000;
        s.Send(Encoding.UTF8.GetBytes(text));
        s.Shutdown(SocketShutdown.Send);
        var got = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = s.Receive(buffer)) > 0)
            got.Write(buffer, 0, n);
        return Encoding.UTF8.GetString(got.ToArray());
    }
}

/// <summary>Puts /sbin/mount.fuse.netnsfs (samples/mount.fuse.netnsfs pointing at the netnsfs under
/// test) in place for one test, and puts back what was there on dispose.</summary>
internal sealed class MountHelper : IDisposable
{
    public const string Path = "/sbin/mount.fuse.netnsfs";
    private readonly byte[]? _previous;
    private readonly UnixFileMode _previousMode;

    public MountHelper()
    {
        string bindir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Netnsfs.Binary))!;
        string sample = System.IO.File.ReadAllText(System.IO.Path.Combine(Netnsfs.RepoRoot, "samples", "mount.fuse.netnsfs"));
        _previous = System.IO.File.Exists(Path) ? System.IO.File.ReadAllBytes(Path) : null;
        _previousMode = _previous is null ? default : System.IO.File.GetUnixFileMode(Path);
        System.IO.File.WriteAllText(Path, sample.Replace("@BINDIR@", bindir, StringComparison.Ordinal));
        System.IO.File.SetUnixFileMode(Path, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    public void Dispose()
    {
        if (_previous is null)
        {
            System.IO.File.Delete(Path);
        }
        else
        {
            System.IO.File.WriteAllBytes(Path, _previous);
            System.IO.File.SetUnixFileMode(Path, _previousMode);
        }
    }
}
