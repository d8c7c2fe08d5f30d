using NetnsFs.Tests.Support;

namespace NetnsFs.Tests.Fuse;

/// <summary>Runs a program and returns its output exactly as written (no added newlines) and
/// complete (waits for both pipes to close, bounded), with a hard timeout.</summary>
internal static class Proc
{
    private static readonly Dictionary<string, string> CLocale = new() { ["LC_ALL"] = "C" };

    /// <summary>Support.Run in the C locale unless told otherwise (messages are matched as text).</summary>
    public static RunResult Run(string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null) =>
        NetnsFs.Tests.Support.Run.Process(file, args, timeout, env: env ?? CLocale);

    /// <summary>bash -c SCRIPT in the C locale, 20 s at most.</summary>
    public static RunResult Sh(string script) => Run("/bin/bash", ["-c", script], TimeSpan.FromSeconds(20));

    public static RunResult Checked(RunResult r) => NetnsFs.Tests.Support.Run.Checked(r);

    /// <summary>A path quoted for the shell.</summary>
    public static string Q(string path) => "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
