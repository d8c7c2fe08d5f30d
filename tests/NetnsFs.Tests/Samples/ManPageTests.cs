using System.Text;
using System.Text.RegularExpressions;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Samples;

/// <summary>netnsfs(8) agrees with `netnsfs --help` and `netnsfs --version`: the same options, the
/// same flags, the same paths, the same version; and it renders without warnings.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class ManPageTests
{
    private static string ManPath => Path.Combine(Netnsfs.RepoRoot, "src", "packaging", "netnsfs.8");

    private static string Help()
    {
        var r = Run.Process(Netnsfs.Binary, ["--help"], TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        return r.Stdout;
    }

    [Test]
    public void Help_and_man_page_list_the_same_mount_options()
    {
        var help = HelpEntries(Help(), "options").SelectMany(OptionKeys).Where(k => !k.StartsWith('-')).ToHashSet();
        var man = ManTags(ManPage.Section(ManText(), "OPTIONS")).SelectMany(OptionKeys).Where(k => !k.StartsWith('-')).ToHashSet();
        Assert.That(help, Is.Not.Empty);
        Assert.That(help, Does.Contain("create").And.Contain("netns").And.Contain("debug"), "the parse found the options");
        Assert.That(man, Is.EquivalentTo(help), $"--help: {string.Join(' ', help.Order())}\nman: {string.Join(' ', man.Order())}");
    }

    [Test]
    public void Help_and_man_page_list_the_same_command_line_flags()
    {
        string helpText = Help();
        var help = HelpEntries(helpText, "options").SelectMany(OptionKeys).Where(k => k.StartsWith('-'))
            .Concat(Flags(UsageLines(helpText))).ToHashSet();
        string man = ManText();
        var manFlags = ManTags(ManPage.Section(man, "OPTIONS")).SelectMany(OptionKeys).Where(k => k.StartsWith('-'))
            .Concat(Flags(ManPage.Render(ManPage.Section(man, "SYNOPSIS")))).ToHashSet();
        Assert.That(help, Does.Contain("-f").And.Contain("-o").And.Contain("--version"), "the parse found the flags");
        Assert.That(manFlags, Is.EquivalentTo(help), $"--help: {string.Join(' ', help.Order())}\nman: {string.Join(' ', manFlags.Order())}");
    }

    [Test]
    public void Help_and_man_page_list_the_same_paths()
    {
        var help = HelpEntries(Help(), "paths").Select(e => e.Split(' ')[0]).ToHashSet();
        var man = ManTags(ManPage.Section(ManText(), "PATHS")).ToHashSet();
        Assert.That(help, Does.Contain("tcp/HOST/PORT").And.Contain("tcp/listen/PORT").And.Contain("handoff"));
        Assert.That(man, Is.EquivalentTo(help), $"--help: {string.Join(' ', help.Order())}\nman: {string.Join(' ', man.Order())}");
    }

    [Test]
    public void Version_is_the_projects_and_the_man_pages()
    {
        var r = Run.Process(Netnsfs.Binary, ["--version"], TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        string props = File.ReadAllText(Path.Combine(Netnsfs.RepoRoot, "Directory.Build.props"));
        string version = VersionElement().Match(props).Groups[1].Value;
        Assert.That(r.Stdout.Trim(), Is.EqualTo($"netnsfs {version}"));
        string th = ManText().Split('\n').Single(l => l.StartsWith(".TH ", StringComparison.Ordinal));
        Assert.That(th, Does.Contain($"\"netnsfs {version}\""), "the .TH line carries the version --version prints");
        Assert.That(Run.Process(Netnsfs.Binary, ["-V"], TimeSpan.FromSeconds(60)).Stdout, Is.EqualTo(r.Stdout));
    }

    [Test]
    public void Man_page_has_the_sections_and_exit_statuses()
    {
        string man = ManText();
        string[] sections = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "PATHS", "HANDOFF", "SECURITY", "WITHOUT ROOT", "LIFETIME", "EXIT STATUS", "FILES", "EXAMPLES", "SEE ALSO"];
        var found = man.Split('\n').Where(l => l.StartsWith(".SH ", StringComparison.Ordinal)).Select(l => l[4..].Trim('"', ' ')).ToList();
        Assert.That(found, Is.EqualTo(sections));
        Assert.That(ManTags(ManPage.Section(man, "EXIT STATUS")), Is.EqualTo(new[] { "0", "1", "2" }));
        string help = Help();
        Assert.That(help, Does.Contain("0 mounted").And.Contain("1 failure").And.Contain("2 bad command line"));

        // And the statuses are what netnsfs does: 2 for a bad option, 1 for a failed mount.
        using var dir = new TempDir("exit");
        Assert.That(Run.Process(Netnsfs.Binary, ["netnsfs", dir.Path, "-o", "no_such_option"], TimeSpan.FromSeconds(60)).ExitCode, Is.EqualTo(2));
        Assert.That(Run.Process(Netnsfs.Binary, ["netnsfs", dir.Path, "-o", "netns=/etc/hostname"], TimeSpan.FromSeconds(60)).ExitCode, Is.EqualTo(1));
        Assert.That(Mounts.IsMounted(dir.Path), Is.False);
    }

    [Test]
    public void Man_page_renders_without_warnings()
    {
        if (!File.Exists("/usr/bin/groff"))
            Assert.Ignore("groff is not installed");
        var r = Run.Process("/usr/bin/groff", ["-man", "-ww", "-z", "-Tutf8", ManPath], TimeSpan.FromSeconds(60), env: new Dictionary<string, string> { ["LC_ALL"] = "C.UTF-8" });
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stderr, Is.Empty, r.ToString());
        Assert.That(File.ReadAllText(ManPath).All(c => c < 128), Is.True, "plain ASCII (roff escapes for the rest)");
    }

    private static string ManText() => File.ReadAllText(ManPath);

    [GeneratedRegex(@"<Version>([^<]+)</Version>")]
    private static partial Regex VersionElement();

    [GeneratedRegex(@"(?<![\w-])--?[A-Za-z][A-Za-z-]*")]
    private static partial Regex Flag();

    private static IEnumerable<string> Flags(string text) => Flag().Matches(text).Select(m => m.Value);

    /// <summary>The usage lines at the top of --help (up to the first blank line).</summary>
    private static string UsageLines(string help) =>
        string.Join('\n', help.Split('\n').TakeWhile(l => l.Trim().Length > 0));

    /// <summary>The entries of a --help block ("options (...):", "paths:"): lines indented by two
    /// spaces, the name first, then two or more spaces and the description.</summary>
    public static IEnumerable<string> HelpEntries(string help, string block)
    {
        var lines = help.Split('\n');
        int start = Array.FindIndex(lines, l => l.StartsWith(block, StringComparison.Ordinal) && l.TrimEnd().EndsWith(':'));
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"--help has a '{block}' block");
        foreach (var line in lines.Skip(start + 1).TakeWhile(l => l.Trim().Length > 0))
        {
            if (line.Length > 2 && line.StartsWith("  ", StringComparison.Ordinal) && line[2] != ' ')
                yield return Regex.Split(line.Trim(), @"\s{2,}")[0];
        }
    }

    /// <summary>"uid=N,gid=N,mode=OCTAL" → uid, gid, mode; "-h, --help" → -h, --help; "-o options" → -o.</summary>
    public static IEnumerable<string> OptionKeys(string entry) =>
        entry.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split(' ')[0].Split('=')[0])
            .Where(k => k.Length > 0);

    /// <summary>The rendered tags of the .TP paragraphs of a man page section.</summary>
    private static IEnumerable<string> ManTags(string section)
    {
        var lines = section.Split('\n');
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            if (lines[i].Trim() is ".TP" or ".TQ") // .TQ: another tag of the same paragraph
                yield return ManPage.Render(lines[i + 1]).Trim();
        }
    }
}

/// <summary>Just enough of man(7) to read netnsfs.8: sections, and the text of macro lines.</summary>
internal static class ManPage
{
    /// <summary>The lines after ".SH NAME" up to the next ".SH".</summary>
    public static string Section(string man, string name)
    {
        var lines = man.Split('\n');
        int start = Array.FindIndex(lines, l => l.StartsWith(".SH ", StringComparison.Ordinal) && l[4..].Trim('"', ' ') == name);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"man page section {name}");
        return string.Join('\n', lines.Skip(start + 1).TakeWhile(l => !l.StartsWith(".SH ", StringComparison.Ordinal)));
    }

    /// <summary>The text of roff lines: font-alternating macros (.BI a b → ab), .B/.I/.OP/.SY
    /// arguments (space-separated), escapes \- \fB \(lq ... resolved; other requests dropped.</summary>
    public static string Render(string text)
    {
        var sb = new StringBuilder();
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(".\\\"", StringComparison.Ordinal))
                continue;
            if (!line.StartsWith('.'))
            {
                sb.Append(Unescape(line)).Append('\n');
                continue;
            }
            int sp = line.IndexOf(' ', StringComparison.Ordinal);
            string macro = sp < 0 ? line[1..] : line[1..sp];
            var args = sp < 0 ? [] : Arguments(line[(sp + 1)..]);
            string joined = macro switch
            {
                "BI" or "IB" or "BR" or "RB" or "IR" or "RI" => string.Concat(args),
                "B" or "I" or "SY" => string.Join(' ', args),
                "OP" => "[" + string.Join(' ', args) + "]",
                _ => "",
            };
            sb.Append(Unescape(joined)).Append('\n');
        }
        return sb.ToString();
    }

    private static List<string> Arguments(string s)
    {
        var args = new List<string>();
        int i = 0;
        while (i < s.Length)
        {
            if (s[i] == ' ')
            {
                i++;
                continue;
            }
            if (s[i] == '"')
            {
                int end = s.IndexOf('"', i + 1);
                if (end < 0)
                    end = s.Length;
                args.Add(s[(i + 1)..end]);
                i = end + 1;
            }
            else
            {
                int end = s.IndexOf(' ', i);
                if (end < 0)
                    end = s.Length;
                args.Add(s[i..end]);
                i = end;
            }
        }
        return args;
    }

    private static string Unescape(string s) =>
        Regex.Replace(s, @"\\f[BIRP]|\\&|\\c", "")
            .Replace("\\-", "-", StringComparison.Ordinal)
            .Replace("\\(lq", "\"", StringComparison.Ordinal)
            .Replace("\\(rq", "\"", StringComparison.Ordinal)
            .Replace("\\(dq", "\"", StringComparison.Ordinal)
            .Replace("\\(aq", "'", StringComparison.Ordinal)
            .Replace("\\(bu", "*", StringComparison.Ordinal)
            .Replace("\\e", "\\", StringComparison.Ordinal);
}
