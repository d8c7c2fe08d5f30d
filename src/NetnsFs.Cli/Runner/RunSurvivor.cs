using System.Diagnostics;
using System.Globalization;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli.Runner;

/// <summary>The supervisor of processes that outlive COMMAND (a daemon it started, a job left in
/// the background): `run` returns with COMMAND's status, and hands the listener to this process,
/// which answers their calls until the last of them has exited. Without it each of their trapped
/// calls would fail with ENOSYS, opens of log files for writing included.</summary>
public static class RunSurvivor
{
    public const string Flag = "--run-survivor";

    /// <summary>Starts a survivor for <paramref name="listener"/>, in a session of its own and
    /// with no terminal or output of the caller's (a shell that waits for EOF on run's output is
    /// not kept waiting by it).</summary>
    public static void Launch(int listener, string? net)
    {
        int inherited = dup(listener); // without CLOEXEC: the survivor's copy
        if (inherited < 0)
            return;
        try
        {
            var start = new ProcessStartInfo(Environment.ProcessPath ?? "/proc/self/exe")
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add(Flag);
            start.ArgumentList.Add(inherited.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add(net ?? "-");
            using var survivor = Process.Start(start);
        }
        finally
        {
            close(inherited);
        }
    }

    /// <summary>args: LISTENER-FD NET-DIR|-</summary>
    public static int Start(string[] args)
    {
        int listener = int.Parse(args[0], CultureInfo.InvariantCulture);
        setsid();
        new Supervisor(listener, args[1] == "-" ? null : args[1]).Serve();
        return 0;
    }
}
