using System.Diagnostics;
using NetnsFs.Tests.Support;

namespace NetnsFs.Tests.Fuse;

/// <summary>Runs a program and returns its output exactly as written (no added newlines) and
/// complete (waits for both pipes to close, bounded), with a hard timeout.</summary>
internal static class Proc
{
    private static readonly Dictionary<string, string> CLocale = new() { ["LC_ALL"] = "C" };

    public static RunResult Run(string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? CLocale)
            psi.Environment[k] = v;
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit(5000);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}");
        }
        var elapsed = sw.Elapsed;
        if (!Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(10)))
            throw new TimeoutException($"{file}: its output was not closed 10 s after it exited");
        return new RunResult(p.ExitCode, stdout.Result, stderr.Result, elapsed);
    }

    /// <summary>bash -c SCRIPT in the C locale, 20 s at most.</summary>
    public static RunResult Sh(string script) => Run("/bin/bash", ["-c", script], TimeSpan.FromSeconds(20));

    public static RunResult Checked(RunResult r) => NetnsFs.Tests.Support.Run.Checked(r);

    /// <summary>A path quoted for the shell.</summary>
    public static string Q(string path) => "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
