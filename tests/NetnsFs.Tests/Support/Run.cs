using System.Diagnostics;
using System.Text;

namespace NetnsFs.Tests.Support;

/// <summary>What a finished process left: exit code and output.</summary>
public sealed record RunResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalMilliseconds:F0} ms\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Runs real programs (bash, python3, ip, mount) with a hard timeout: a test never hangs.</summary>
public static class Run
{
    public static RunResult Process(string file, IEnumerable<string> args, TimeSpan? timeout = null, string? stdin = null, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        if (env is not null)
        {
            foreach (var (k, v) in env)
                psi.Environment[k] = v;
        }
        var sw = Stopwatch.StartNew();
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit(5000);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout ?? TimeSpan.FromSeconds(60)}");
        }
        // WaitForExit(timeout) may return before the last output was read: wait for EOF, bounded.
        try
        {
            p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token).Wait();
        }
        catch (AggregateException e) when (e.InnerException is OperationCanceledException)
        {
            // something the process started still holds its output open: take what came
        }
        lock (stdout)
        lock (stderr)
            return new RunResult(p.ExitCode, stdout.ToString(), stderr.ToString(), sw.Elapsed);
    }

    /// <summary>bash -c SCRIPT.</summary>
    public static RunResult Bash(string script, TimeSpan? timeout = null, IDictionary<string, string>? env = null) =>
        Process("/bin/bash", ["-c", script], timeout, env: env);

    /// <summary>python3 -c SCRIPT ARGS...</summary>
    public static RunResult Python(string script, params string[] args) =>
        Process("python3", ["-c", script, .. args], TimeSpan.FromSeconds(120));

    public static RunResult Checked(RunResult r)
    {
        if (r.ExitCode != 0)
            throw new InvalidOperationException("command failed: " + r);
        return r;
    }
}
