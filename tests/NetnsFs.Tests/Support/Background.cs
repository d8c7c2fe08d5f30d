using System.Diagnostics;
using System.Text;
using NUnit.Framework;

namespace NetnsFs.Tests.Support;

/// <summary>A long-running helper process (a server inside a namespace, a daemon under test's
/// client, a sample program): its stdout lines are collected as they come, its stdin is closed (it
/// reads EOF). Dispose kills it and its children.</summary>
public sealed class Background : IDisposable
{
    /// <summary>How long to wait for a pipe's end after its process exited (a grandchild such as a
    /// daemon may still hold it).</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _stderr = new();
    private readonly object _gate = new(); // a monitor: WaitLine sleeps on it until a line comes
    private readonly TaskCompletionSource _stdoutEof = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrEof = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="workingDirectory">Where it runs (default: the test's own directory); "/" for a
    /// program that must not depend on where the tests were started (as a systemd unit would run it).</param>
    public Background(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var psi = Run.StartInfo(file, args, env);
        if (workingDirectory is not null)
            psi.WorkingDirectory = workingDirectory;
        Command = file + " " + string.Join(' ', psi.ArgumentList);
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += Collect(_stdoutEof, line => _lines.Add(line));
        _process.ErrorDataReceived += Collect(_stderrEof, line => _stderr.AppendLine(line));
        _process.Exited += (_, _) => Wake();
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _process.StandardInput.Close();
    }

    /// <summary>A pipe's line handler: each line is added under the gate (tests read the lines while
    /// they come) and wakes <see cref="WaitLine"/>; the pipe's end completes <paramref name="eof"/>.</summary>
    private DataReceivedEventHandler Collect(TaskCompletionSource eof, Action<string> add) => (_, e) =>
    {
        if (e.Data is null)
        {
            eof.TrySetResult();
            Wake();
            return;
        }
        lock (_gate)
        {
            add(e.Data);
            Monitor.PulseAll(_gate);
        }
    };

    private void Wake()
    {
        lock (_gate)
            Monitor.PulseAll(_gate);
    }

    public string Command { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
                return [.. _lines];
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
                return _stderr.ToString();
        }
    }

    public override string ToString() => $"{Command}\nstdout: {string.Join('\n', Lines)}\nstderr: {Stderr}";

    /// <summary>Waits (bounded) until both output pipes reached their end.</summary>
    private void Drain() => Task.WaitAll([_stdoutEof.Task, _stderrEof.Task], DrainTimeout);

    /// <summary>The first stdout line that matches, woken by each line as it comes; fails the test
    /// (with the output) on timeout or exit.</summary>
    public string WaitLine(Func<string, bool> match, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            lock (_gate)
            {
                var found = _lines.FirstOrDefault(match);
                if (found is not null)
                    return found;
                var left = timeout - sw.Elapsed;
                if (!_process.HasExited && left > TimeSpan.Zero)
                {
                    // A line, the exit or the pipe's end pulses; the bound only re-checks the clock.
                    Monitor.Wait(_gate, left);
                    continue;
                }
            }
            if (sw.Elapsed >= timeout)
                Assert.Fail($"no expected line within {timeout}:\n{this}");
            Drain();
            var last = Lines.FirstOrDefault(match);
            if (last is not null)
                return last;
            Assert.Fail($"exited (code {_process.ExitCode}) before the expected line:\n{this}");
        }
    }

    public string WaitReady(TimeSpan? timeout = null) => WaitLine(l => l.StartsWith("ready", StringComparison.Ordinal), timeout ?? TimeSpan.FromSeconds(30));

    /// <summary>True once the process exited (its output read as far as its pipes allow).</summary>
    public bool WaitExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
            return false;
        Drain();
        return true;
    }

    /// <summary>The exit code once it exited, or null if it still runs after <paramref name="timeout"/>.</summary>
    public int? WaitExitCode(TimeSpan timeout) => WaitExit(timeout) ? ExitCode : null;

    public void Kill(bool entireTree = true)
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireTree);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        Kill();
        _process.WaitForExit(5000);
        _process.Dispose();
    }
}
