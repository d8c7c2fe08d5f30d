using System.Diagnostics;

namespace NetnsFs.Tests.Support;

/// <summary>What a finished process left: exit code and output.</summary>
public sealed record RunResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalMilliseconds:F0} ms\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Runs real programs (bash, python3, ip, mount) with a hard timeout: a test never hangs.</summary>
public static class Run
{
    /// <summary>How every test process is started, whether run to its end here or kept running
    /// (Support.Background): no shell, all three pipes redirected, <paramref name="env"/> added to
    /// the test's environment.</summary>
    public static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, IDictionary<string, string>? env = null)
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
        if (env is not null)
        {
            foreach (var (k, v) in env)
                psi.Environment[k] = v;
        }
        return psi;
    }

    /// <summary>Runs a program to its end (killed after <paramref name="timeout"/>, default 60 s)
    /// with all it printed: after the exit it also waits, bounded, for the output pipes to close, so
    /// no line printed just before exit is lost; a pipe some child keeps open fails the run.</summary>
    public static RunResult Process(string file, IEnumerable<string> args, TimeSpan? timeout = null, string? stdin = null, IDictionary<string, string>? env = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var psi = StartInfo(file, args, env);
        var sw = Stopwatch.StartNew();
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
            p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(limit))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit(5000);
            // What it printed up to the kill tells where it hung; a child may still hold the pipes,
            // so that wait is bounded too.
            Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(5));
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {limit}\nstdout: {Printed(stdout)}\nstderr: {Printed(stderr)}");
        }
        var elapsed = sw.Elapsed;
        if (!Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(10)))
            throw new TimeoutException($"{file}: its output was not closed 10 s after it exited (a child kept it)");
        return new RunResult(p.ExitCode, stdout.Result, stderr.Result, elapsed);
    }

    private static string Printed(Task<string> pipe) => pipe.IsCompletedSuccessfully ? pipe.Result : "(still open)";

    /// <summary>bash -c SCRIPT.</summary>
    public static RunResult Bash(string script, TimeSpan? timeout = null, IDictionary<string, string>? env = null) =>
        Process("/bin/bash", ["-c", script], timeout, env: env);

    /// <summary>The system's python3: starts fast, and other users may run it (unlike a pyenv shim
    /// in root's home, which nobody may not read).</summary>
    public static readonly string Python3 = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>python3 -c SCRIPT ARGS... (killed after 120 s).</summary>
    public static RunResult Python(string script, params string[] args) => Python(script, TimeSpan.FromSeconds(120), args);

    /// <summary>python3 -c SCRIPT ARGS..., killed after <paramref name="timeout"/>.</summary>
    public static RunResult Python(string script, TimeSpan timeout, params string[] args) =>
        Process(Python3, ["-c", script, .. args], timeout);

    public static RunResult Checked(RunResult r)
    {
        if (r.ExitCode != 0)
            throw new InvalidOperationException("command failed: " + r);
        return r;
    }
}
