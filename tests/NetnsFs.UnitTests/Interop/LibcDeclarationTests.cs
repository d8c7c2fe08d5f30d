using System.Text.RegularExpressions;
using NetnsFs.Interop;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Interop;

/// <summary>Every libc function and constant is declared once, in src/Interop (issue #18): read from
/// the source tree, so a second <c>close</c> or <c>O_NONBLOCK</c> added anywhere under src/ fails
/// here. (tests/ keeps its own shims: a test may call libc its own way.)</summary>
public partial class LibcDeclarationTests
{
    /// <summary>The C constant families whose names must be defined once (with a value) in the
    /// tree; the errno names (<c>Errno</c>'s members) too.</summary>
    [GeneratedRegex(@"^((O|SOL|SO|SCM|IPPROTO|IPV6|TCP|AF|SOCK|MSG|SHUT|F|FD|AT|EPOLL|EFD|MNT|MS|NS|S|RLIMIT|CLONE|RESOLVE|PIDFD|POLL|STATX|NETLINK|NLM|UDIAG|UNIX_DIAG|SOCK_DIAG|IFF)_[A-Z0-9_]+|SIOC[A-Z]+)$")]
    private static partial Regex ListedName();

    [GeneratedRegex(@"\[\s*(?<kind>LibraryImport|DllImport)\s*\((?<args>[^\]]*)\)\s*\]\s*(?:\[[^\]]*\]\s*)*[^;{(]*?\b(?<name>\w+)\s*\(")]
    private static partial Regex Import();

    [GeneratedRegex(@"EntryPoint\s*=\s*""(?<entry>[^""]+)""")]
    private static partial Regex EntryPoint();

    [GeneratedRegex(@"\bconst\s+\w+\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?<value>[^;]+);")]
    private static partial Regex Constant();

    /// <summary>A value that names another constant (<c>Libc.AF_UNIX</c>, <c>S_IFMT</c>) rather than
    /// giving a number: a public alias of the one definition, not a second one.</summary>
    [GeneratedRegex(@"^(\w+\.)*[A-Za-z_]\w*$")]
    private static partial Regex Alias();

    [GeneratedRegex(@"/\*.*?\*/|//[^\n]*", RegexOptions.Singleline)]
    private static partial Regex Comment();

    private sealed record Found(string File, int Line, string Name);

    /// <summary>The repository root: the directory above the test's that holds NetnsFs.sln.</summary>
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NetnsFs.sln")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no NetnsFs.sln above {TestContext.CurrentContext.TestDirectory}");
    }

    /// <summary>The C# sources of <paramref name="root"/>/src, build output left out, as
    /// (path relative to the root with '/', text with comments blanked out line for line).</summary>
    private static IEnumerable<(string File, string Text)> Sources(string root)
    {
        foreach (var path in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (rel.Split('/').Any(part => part is "bin" or "obj"))
                continue;
            string text = Comment().Replace(File.ReadAllText(path), m => new string('\n', m.Value.Count(c => c == '\n')));
            yield return (rel, text);
        }
    }

    private static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    private static bool InInterop(string file) => file.StartsWith("src/Interop/", StringComparison.Ordinal);

    private static List<Found> Imports(string root) =>
        [.. Sources(root).SelectMany(s => Import().Matches(s.Text).Select(m =>
            new Found(s.File, LineOf(s.Text, m.Index),
                EntryPoint().Match(m.Groups["args"].Value) is { Success: true } e ? e.Groups["entry"].Value : m.Groups["name"].Value)))];

    /// <summary>Constants of a listed name defined with a value (not as an alias).</summary>
    private static List<Found> ListedConstants(string root)
    {
        var errnoNames = Enum.GetNames<Errno>().ToHashSet(StringComparer.Ordinal);
        return [.. Sources(root).SelectMany(s => Constant().Matches(s.Text)
            .Where(m => ListedName().IsMatch(m.Groups["name"].Value) || errnoNames.Contains(m.Groups["name"].Value))
            .Where(m => !Alias().IsMatch(m.Groups["value"].Value.Trim()))
            .Select(m => new Found(s.File, LineOf(s.Text, m.Index), m.Groups["name"].Value)))];
    }

    private static string Show(IEnumerable<Found> found) => string.Join("\n", found.Select(f => $"  {f.File}:{f.Line} {f.Name}"));

    /// <summary>What the three checks find wrong in the tree at <paramref name="root"/>, one line each.</summary>
    private static List<string> Problems(string root)
    {
        var problems = new List<string>();
        var imports = Imports(root);
        foreach (var outside in imports.Where(i => !InInterop(i.File)))
            problems.Add($"{outside.File}:{outside.Line}: {outside.Name} imported outside src/Interop (add it to src/Interop/Libc and link that file)");
        foreach (var twice in imports.GroupBy(i => i.Name).Where(g => g.Count() > 1))
            problems.Add($"libc function {twice.Key} declared {twice.Count()} times:\n{Show(twice)}");

        var constants = ListedConstants(root)
            .ToList();
        foreach (var outside in constants.Where(c => !InInterop(c.File)))
            problems.Add($"{outside.File}:{outside.Line}: constant {outside.Name} defined outside src/Interop (use Libc.{outside.Name}, or Errno)");
        foreach (var twice in constants.Where(c => InInterop(c.File)).GroupBy(c => c.Name).Where(g => g.Count() > 1))
            problems.Add($"constant {twice.Key} defined {twice.Count()} times in src/Interop:\n{Show(twice)}");
        return problems;
    }

    [Test]
    public void Every_libc_function_and_constant_is_declared_once_in_src_Interop()
    {
        var problems = Problems(RepoRoot());
        Assert.That(problems, Is.Empty, string.Join("\n", problems));
    }

    [Test]
    public void The_checks_see_the_declarations_they_are_about()
    {
        // A regex that matched nothing would pass the test above on any tree.
        string root = RepoRoot();
        var imports = Imports(root);
        var constants = ListedConstants(root);
        Assert.Multiple(() =>
        {
            Assert.That(imports.Select(i => i.Name), Does.Contain("close").And.Contain("syscall").And.Contain("epoll_wait"));
            Assert.That(imports.Where(i => i.Name == "close").Select(i => i.File), Is.EqualTo(new[] { "src/Interop/Libc/Interop.Close.cs" }));
            Assert.That(constants.Where(c => c.Name == "O_NONBLOCK" && InInterop(c.File)).Select(c => c.File), Is.EqualTo(new[] { "src/Interop/Libc/Interop.Open.cs" }));
            Assert.That(constants.Select(c => c.Name), Does.Contain("SOL_SOCKET").And.Contain("IPPROTO_IPV6").And.Contain("SIOCGIFFLAGS"));
        });
    }

    [Test]
    public void A_planted_duplicate_fails_the_check()
    {
        // A copy of the tree's src/ with one more close, one more O_NONBLOCK and an errno constant
        // outside src/Interop: each is reported.
        string root = RepoRoot();
        string scratch = Path.Combine(Path.GetTempPath(), "netnsfs-interop-check-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var (file, text) in Sources(root))
            {
                string target = Path.Combine(scratch, file);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.WriteAllText(target, text);
            }
            File.WriteAllText(Path.Combine(scratch, "NetnsFs.sln"), "");
            File.WriteAllText(Path.Combine(scratch, "src/NetnsFs.Net/Planted.cs"), """
                internal static partial class Planted
                {
                    [LibraryImport("libc", SetLastError = true)]
                    internal static partial int close(int fd);
                    private const int EPROTO = 71;
                }
                """);
            File.WriteAllText(Path.Combine(scratch, "src/Interop/Libc/Interop.Planted.cs"), """
                internal static partial class Libc
                {
                    [LibraryImport(Library, EntryPoint = "open", SetLastError = true)]
                    internal static partial int open2(string path, int flags);
                    internal const int O_NONBLOCK = 0x800;
                }
                """);
            Assert.That(Problems(root), Is.Empty, "the tree itself is clean");
            var problems = Problems(scratch);
            Assert.Multiple(() =>
            {
                Assert.That(problems, Has.Some.StartsWith("src/NetnsFs.Net/Planted.cs:3: close imported outside src/Interop"));
                Assert.That(problems, Has.Some.StartsWith("libc function close declared 2 times"));
                Assert.That(problems, Has.Some.StartsWith("libc function open declared 2 times"));
                Assert.That(problems, Has.Some.StartsWith("src/NetnsFs.Net/Planted.cs:5: constant EPROTO defined outside src/Interop"));
                Assert.That(problems, Has.Some.StartsWith("constant O_NONBLOCK defined 2 times in src/Interop"));
                Assert.That(problems, Has.Count.EqualTo(5), string.Join("\n", problems));
            });
        }
        finally
        {
            if (Directory.Exists(scratch))
                Directory.Delete(scratch, recursive: true);
        }
    }
}
