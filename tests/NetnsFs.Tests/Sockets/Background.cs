using System.Diagnostics;
using System.Text;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Sockets;

/// <summary>A long-running helper process (a server inside a namespace, a daemon under test's
/// client): its stdout lines are collected as they come. Dispose kills it and its children.</summary>
public sealed class Background : IDisposable
{
    /// <summary>How long to wait for a pipe's end after its process exited (a grandchild such as a
    /// daemon may still hold it).</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _stdoutEof = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrEof = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Background(string file, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var psi = Run.StartInfo(file, args, env);
        Command = file + " " + string.Join(' ', psi.ArgumentList);
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += Collect(_stdoutEof, line => _lines.Add(line));
        _process.ErrorDataReceived += Collect(_stderrEof, line => _stderr.AppendLine(line));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>A pipe's line handler: each line is added under the gate (tests read the lines while
    /// they come); the pipe's end completes <paramref name="eof"/>.</summary>
    private DataReceivedEventHandler Collect(TaskCompletionSource eof, Action<string> add) => (_, e) =>
    {
        if (e.Data is null)
        {
            eof.TrySetResult();
            return;
        }
        lock (_gate)
            add(e.Data);
    };

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

    /// <summary>The first stdout line that matches; fails the test (with the output) on timeout or exit.</summary>
    public string WaitLine(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = Lines.FirstOrDefault(match);
            if (found is not null)
                return found;
            if (_process.HasExited)
            {
                Drain();
                found = Lines.FirstOrDefault(match);
                if (found is not null)
                    return found;
                Assert.Fail($"exited (code {_process.ExitCode}) before the expected line:\n{this}");
            }
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"no expected line within {timeout}:\n{this}");
            Thread.Sleep(10);
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
