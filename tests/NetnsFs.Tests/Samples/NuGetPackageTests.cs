using System.Diagnostics;
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Samples;

/// <summary>NetnsFs.Client as a NuGet package, the way a user meets it: `dotnet pack` (as `make
/// pack` runs it) into a local feed in a directory of this fixture; the .nupkg's nuspec (id, the
/// version of Directory.Build.props, MIT, the repository at the commit built), README and library;
/// the .snupkg's pdb with Source Link; then samples/nuget, copied beside that feed, restored with a
/// package cache of its own (so the package can only come from the feed), built, and run against a
/// web server inside a namespace that only a mount reaches.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class NuGetPackageTests
{
    private const string Id = "NetnsFs.Client";
    private const int HttpPort = 8080;
    private static readonly TimeSpan BuildLimit = TimeSpan.FromSeconds(600);

    /// <summary>The Source Link custom debug information of a portable pdb (its JSON, on the module).</summary>
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    /// <summary>A source file embedded in a portable pdb.</summary>
    private static readonly Guid EmbeddedSourceKind = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

    // No build servers left behind: they would keep this run's output pipes open.
    private static readonly Dictionary<string, string> DotnetEnv = new()
    {
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
    };

    private TempDir _dir = null!;
    private string _feed = "";
    private string _version = "";
    private string _nupkg = "";
    private string _snupkg = "";

    /// <summary>Layout of the fixture's directory as in the repository: artifacts/nuget (the feed)
    /// and samples/nuget (the consumer, whose nuget.config names ../../artifacts/nuget).</summary>
    [OneTimeSetUp]
    public void Pack()
    {
        _dir = new TempDir("nuget");
        try
        {
            _feed = Path.Combine(_dir.Path, "artifacts", "nuget");
            _version = PropsVersion();
            var sw = Stopwatch.StartNew();
            var pack = Dotnet(["pack", Path.Combine(Netnsfs.RepoRoot, "src", Id, Id + ".csproj"), "-c", "Release", "-o", _feed]);
            Assert.That(pack.ExitCode, Is.Zero, $"dotnet pack: {pack}");
            TestContext.Progress.WriteLine($"NuGetPackageTests: dotnet pack {sw.Elapsed.TotalSeconds:F1} s");
            _nupkg = Path.Combine(_feed, $"{Id}.{_version}.nupkg");
            _snupkg = Path.Combine(_feed, $"{Id}.{_version}.snupkg");
            Assert.That(File.Exists(_nupkg), Is.True, $"{_nupkg}: {string.Join(", ", Directory.GetFiles(_feed).Select(Path.GetFileName))}");
            Assert.That(File.Exists(_snupkg), Is.True, _snupkg);
        }
        catch
        {
            _dir.Dispose();
            throw;
        }
    }

    [OneTimeTearDown]
    public void RemoveFeed() => _dir?.Dispose();

    [Test]
    public void Nuspec_has_the_id_the_version_of_Directory_Build_props_MIT_and_the_repository_at_the_commit_built()
    {
        using var zip = ZipFile.OpenRead(_nupkg);
        var nuspecEntry = zip.Entries.Single(e => e.FullName == Id + ".nuspec");
        XElement metadata;
        using (var s = nuspecEntry.Open())
            metadata = XDocument.Load(s).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        XElement Element(string name)
        {
            var found = metadata.Elements().Where(e => e.Name.LocalName == name).ToList();
            Assert.That(found, Has.Count.EqualTo(1), $"one <{name}> in the nuspec:\n{metadata}");
            return found[0];
        }
        string Field(string name) => Element(name).Value;

        Assert.That(Field("id"), Is.EqualTo(Id));
        Assert.That(Field("version"), Is.EqualTo(_version).And.Not.Empty, "version: Directory.Build.props' <Version>");
        Assert.That(Field("description"), Does.Contain("NetnsSocket.Open"));

        var license = Element("license");
        Assert.That(license.Attribute("type")?.Value, Is.EqualTo("expression"));
        Assert.That(license.Value, Is.EqualTo("MIT"));
        Assert.That(File.ReadAllText(Path.Combine(Netnsfs.RepoRoot, "LICENSE")), Does.StartWith("MIT License"), "the repository's LICENSE is the one the package names");

        var repository = Element("repository");
        Assert.That(repository.Attribute("type")?.Value, Is.EqualTo("git"));
        Assert.That(repository.Attribute("url")?.Value, Does.StartWith("https://"), repository.ToString());
        Assert.That(repository.Attribute("commit")?.Value, Is.EqualTo(GitHead()), "the commit packed: " + repository);

        // The README is the package's own, at the root, and named by <readme>.
        Assert.That(Field("readme"), Is.EqualTo("README.md"));
        var readme = zip.GetEntry("README.md");
        Assert.That(readme, Is.Not.Null, string.Join(", ", zip.Entries.Select(e => e.FullName)));
        using (var r = new StreamReader(readme!.Open()))
            Assert.That(r.ReadToEnd(), Is.EqualTo(File.ReadAllText(Path.Combine(Netnsfs.RepoRoot, "src", Id, "README.md"))));

        // The library and its XML docs; no package dependencies (it stands alone).
        Assert.That(zip.GetEntry($"lib/net10.0/{Id}.dll"), Is.Not.Null);
        Assert.That(zip.GetEntry($"lib/net10.0/{Id}.xml"), Is.Not.Null);
        var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency").ToList();
        Assert.That(dependencies, Is.Empty, string.Join("\n", dependencies));
        Assert.That(zip.Entries.Where(e => e.FullName.EndsWith(".pdb", StringComparison.Ordinal)), Is.Empty, "the pdb goes in the .snupkg");
    }

    /// <summary>The .snupkg's pdb is the dll's (same id), maps every source under the repository
    /// to the repository's raw files at the commit built (Source Link), and embeds the generated
    /// sources that are not in git.</summary>
    [Test]
    public void Symbols_package_pdb_matches_the_dll_and_carries_Source_Link_to_the_commit()
    {
        using var nupkg = ZipFile.OpenRead(_nupkg);
        using var snupkg = ZipFile.OpenRead(_snupkg);
        byte[] dll = ReadEntry(nupkg, $"lib/net10.0/{Id}.dll");
        byte[] pdb = ReadEntry(snupkg, $"lib/net10.0/{Id}.pdb");

        using var pe = new PEReader(new MemoryStream(dll));
        var codeView = pe.ReadDebugDirectory().Single(d => d.Type == DebugDirectoryEntryType.CodeView);
        var dllPdbId = pe.ReadCodeViewDebugDirectoryData(codeView).Guid;

        using var provider = MetadataReaderProvider.FromPortablePdbStream(new MemoryStream(pdb));
        var reader = provider.GetMetadataReader();
        var pdbId = new Guid(reader.DebugMetadataHeader!.Id.AsSpan(0, 16));
        Assert.That(pdbId, Is.EqualTo(dllPdbId), "the pdb is the packed dll's");

        string? sourceLink = null;
        int embedded = 0;
        foreach (var handle in reader.CustomDebugInformation)
        {
            var cdi = reader.GetCustomDebugInformation(handle);
            var kind = reader.GetGuid(cdi.Kind);
            if (kind == SourceLinkKind)
                sourceLink = System.Text.Encoding.UTF8.GetString(reader.GetBlobBytes(cdi.Value));
            else if (kind == EmbeddedSourceKind)
                embedded++;
        }
        Assert.That(sourceLink, Is.Not.Null, "a Source Link entry in the pdb");
        using var json = JsonDocument.Parse(sourceLink!);
        var documents = json.RootElement.GetProperty("documents").EnumerateObject().ToList();
        Assert.That(documents, Is.Not.Empty, sourceLink);
        string commit = GitHead();
        Assert.That(documents.Select(d => d.Value.GetString()), Has.All.StartWith("https://").And.All.Contains($"/{commit}/"), sourceLink);
        Assert.That(embedded, Is.GreaterThan(0), "untracked (generated) sources embedded");

        // The sources it maps: the project's own files are among the pdb's documents.
        var names = reader.Documents.Select(h => reader.GetString(reader.GetDocument(h).Name)).ToList();
        Assert.That(names, Has.Some.EndsWith("NetnsSocket.cs"), string.Join("\n", names));
    }

    /// <summary>samples/nuget as a user's program: restored from the local feed into a package cache
    /// of its own, built, then an HTTP GET over a socket from NetnsSocket.Open to a server inside a
    /// namespace; and a refused dial comes back as the daemon's errno.</summary>
    [Test]
    public void Consumer_sample_restores_from_the_local_feed_builds_and_gets_a_page_through_the_handoff()
    {
        string sample = Path.Combine(_dir.Path, "samples", "nuget");
        CopySample(Path.Combine(Netnsfs.RepoRoot, "samples", "nuget"), sample);
        string csproj = File.ReadAllText(Path.Combine(sample, "NetnsFsNuGetSample.csproj"));
        Assert.That(csproj, Does.Contain($"<PackageReference Include=\"{Id}\" Version=\"{_version}\" />"), "the sample references the packed version");

        string cache = Path.Combine(_dir.Path, "packages");
        var env = new Dictionary<string, string>(DotnetEnv)
        {
            ["NUGET_PACKAGES"] = cache,
            ["NUGET_HTTP_CACHE_PATH"] = Path.Combine(_dir.Path, "http-cache"),
        };
        var sw = Stopwatch.StartNew();
        var restore = Dotnet(["restore", sample], env);
        Assert.That(restore.ExitCode, Is.Zero, $"dotnet restore: {restore}");
        var restoreTime = sw.Elapsed;
        sw.Restart();
        var build = Dotnet(["build", sample, "-c", "Release", "--no-restore"], env);
        Assert.That(build.ExitCode, Is.Zero, $"dotnet build: {build}");
        TestContext.Progress.WriteLine($"NuGetPackageTests: restore {restoreTime.TotalSeconds:F1} s, build {sw.Elapsed.TotalSeconds:F1} s");

        // The package came from the feed: the cache says so, and holds the very .nupkg packed.
        string installed = Path.Combine(cache, Id.ToLowerInvariant(), _version);
        using (var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(installed, ".nupkg.metadata"))))
        {
            Assert.That(Path.GetFullPath(meta.RootElement.GetProperty("source").GetString()!).TrimEnd('/'), Is.EqualTo(_feed));
            Assert.That(meta.RootElement.GetProperty("contentHash").GetString(), Is.EqualTo(Convert.ToBase64String(SHA512.HashData(File.ReadAllBytes(_nupkg)))));
        }
        string program = Path.Combine(sample, "bin", "Release", "net10.0", "netnsfs-nuget-sample.dll");
        Assert.That(File.Exists(program), Is.True, program);
        Assert.That(File.Exists(Path.Combine(sample, "bin", "Release", "net10.0", Id + ".dll")), Is.True, "the package's library beside the program");

        using var ns = new NamespaceHolder();
        using var www = new TempDir("www");
        string token = $"token-{Guid.NewGuid():N}";
        File.WriteAllText(Path.Combine(www.Path, "index.html"), $"<p>{token}</p>\n");
        var server = ns.Start(Run.Python3, "-m", "http.server", HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--directory", www.Path);
        using var m = new NetnsfsMount($"netns={ns.Path}");
        Assert.That(Namespace.WaitListening(m.Dir, HttpPort, TimeSpan.FromSeconds(30)) && !server.HasExited, Is.True, "http.server listens inside the namespace");

        var run = Run.Process("dotnet", [program, m.Dir, "127.0.0.1", HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "/index.html"], TimeSpan.FromSeconds(60));
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.StartWith("HTTP/1.0 200"), run.ToString());
        Assert.That(run.Stdout, Does.Contain(token), run.ToString());
        Assert.That(run.Stderr, Does.Match($@"connected 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:{HttpPort} inside "), run.ToString());

        // Nothing listens on 8081 in there: the daemon's ECONNREFUSED, as NetnsSocketException.
        var refused = Run.Process("dotnet", [program, m.Dir, "127.0.0.1", "8081"], TimeSpan.FromSeconds(60));
        Assert.That(refused.ExitCode, Is.EqualTo(1), refused.ToString());
        Assert.That(refused.Stderr, Does.Contain("netnsfs refused").And.Contain("errno 111"), refused.ToString());
    }

    private static RunResult Dotnet(string[] args, IDictionary<string, string>? env = null) =>
        Run.Process("dotnet", [.. args, "--nologo", "-nodeReuse:false", "-p:UseSharedCompilation=false"], BuildLimit, env: env ?? DotnetEnv);

    private static string PropsVersion()
    {
        var props = XDocument.Load(Path.Combine(Netnsfs.RepoRoot, "Directory.Build.props"));
        return props.Descendants("Version").Single().Value.Trim();
    }

    private static string GitHead()
    {
        var git = Run.Process("git", ["-C", Netnsfs.RepoRoot, "rev-parse", "HEAD"]);
        Assert.That(git.ExitCode, Is.Zero, git.ToString());
        return git.Stdout.Trim();
    }

    private static byte[] ReadEntry(ZipArchive zip, string name)
    {
        var entry = zip.GetEntry(name);
        Assert.That(entry, Is.Not.Null, $"{name} in {string.Join(", ", zip.Entries.Select(e => e.FullName))}");
        using var s = entry!.Open();
        var copy = new MemoryStream();
        s.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The sample's files as in git (no bin/ or obj/ of a build in place).</summary>
    private static void CopySample(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        Assert.That(Directory.GetFiles(to).Select(Path.GetFileName), Is.SupersetOf(new[] { "nuget.config", "NetnsFsNuGetSample.csproj", "Program.cs", "README.md" }));
        Assert.That(File.ReadAllText(Path.Combine(to, "nuget.config")), Does.Match(FeedPattern()), "nuget.config adds the feed make pack fills");
    }

    [GeneratedRegex(@"value=""\.\./\.\./artifacts/nuget""")]
    private static partial Regex FeedPattern();
}
