using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using NetnsFs.Client;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli.Runner;

/// <summary><c>netnsfs run [--net DIR] -- COMMAND [ARG...]</c>: COMMAND and its descendants get real
/// kernel sockets where they open netnsfs socket paths, and with --net their socket(2) calls for
/// IPv4, IPv6 and netlink route/diag are made in DIR's namespace. This process supervises (it
/// needs no privilege: it is a handoff client of each mount's daemon); COMMAND runs in a child
/// (<see cref="RunTarget"/>) that dies with it. Exit status: COMMAND's (128+N after signal N), 2
/// for a bad command line, 1 when this kernel cannot trap calls or DIR is no netnsfs namespace.</summary>
public static unsafe class RunCommand
{
    public static int Run(string[] args)
    {
        var (net, command) = Parse(args);
        if (net is not null)
            net = CheckNamespace(net);
        int* pair = stackalloc int[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
            throw new IOException("socketpair: " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
        int mine = pair[0], theirs = pair[1];
        fcntl(theirs, F_SETFD, 0); // the child's end, inherited across its exec
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "/proc/self/exe") { UseShellExecute = false };
        foreach (var a in new[] { RunTarget.Flag, S(theirs), S(Environment.ProcessId), net is null ? "0" : "1", "--" }.Concat(command))
            start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        close(theirs);
        using var signals = ForwardSignals(child);
        var buffer = new byte[64];
        int n = FdPassing.Receive(mine, buffer, out int listener);
        close(mine);
        string said = n > 0 ? Encoding.ASCII.GetString(buffer, 0, n) : "";
        if (said.StartsWith(RunTarget.Unsupported, StringComparison.Ordinal))
        {
            child.WaitForExit();
            int e = int.TryParse(said.AsSpan(RunTarget.Unsupported.Length).Trim(), CultureInfo.InvariantCulture, out int v) ? v : 0;
            Console.Error.WriteLine($"netnsfs run: this kernel cannot trap calls for a supervisor (seccomp user notification: {Marshal.GetPInvokeErrorMessage(e)})");
            return 1;
        }
        if (said == RunTarget.Busy)
            Console.Error.WriteLine("netnsfs run: already under a seccomp listener (EBUSY): socket paths open as socket files, socket(2) stays in this namespace");
        if (listener < 0)
        {
            child.WaitForExit();
            return child.ExitCode;
        }
        var supervisor = new Supervisor(listener, net);
        var thread = new Thread(supervisor.Serve) { IsBackground = true, Name = "run supervisor" };
        thread.Start();
        child.WaitForExit();
        // COMMAND has gone; what it left running is still under the filter: a survivor supervises
        // it from here on, once this one has answered what it received.
        if (supervisor.TargetsRemain(20))
        {
            supervisor.StopReceiving();
            thread.Join();
            if (supervisor.TargetsRemain(0))
                RunSurvivor.Launch(listener, net);
        }
        return child.ExitCode;
    }

    private static string S(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static (string? Net, string[] Command) Parse(string[] args)
    {
        string? net = null;
        int i = 0;
        for (; i < args.Length && args[i] != "--"; i++)
        {
            if (args[i] == "--net" && i + 1 < args.Length)
                net = args[++i];
            else if (args[i].StartsWith("--net=", StringComparison.Ordinal))
                net = args[i][6..];
            else if (!args[i].StartsWith('-'))
                break; // the command, without --
            else
                throw new UsageException($"run: unexpected '{args[i]}' (usage: netnsfs run [--net DIR] -- COMMAND [ARG...])");
        }
        if (i < args.Length && args[i] == "--")
            i++;
        if (i >= args.Length)
            throw new UsageException("run: no COMMAND (usage: netnsfs run [--net DIR] -- COMMAND [ARG...])");
        return (net, args[i..]);
    }

    /// <summary>DIR, absolute, if it is a namespace of a netnsfs mount (its handoff link is there).</summary>
    private static string CheckNamespace(string dir)
    {
        string full = Path.GetFullPath(dir);
        bool inMount = NetnsfsMounts.Current().Any(m => full == m || full.StartsWith(m.TrimEnd('/') + "/", StringComparison.Ordinal));
        if (!inMount || TargetThread.ReadLink(Path.Combine(full, HandoffWire.LinkName)) is null)
            throw new RunRefused($"netnsfs run: --net {dir}: not a namespace of a netnsfs mount (no {HandoffWire.LinkName} there)");
        return full;
    }

    /// <summary>SIGTERM and SIGHUP go on to COMMAND; SIGINT and SIGQUIT, which a terminal sends to
    /// the whole process group, COMMAND has had already: this process waits for it to decide.</summary>
    private static IDisposable ForwardSignals(Process child)
    {
        var registrations = new List<PosixSignalRegistration>();
        foreach (var sig in new[] { PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
        {
            registrations.Add(PosixSignalRegistration.Create(sig, ctx =>
            {
                ctx.Cancel = true;
                if (ctx.Signal is PosixSignal.SIGTERM or PosixSignal.SIGHUP)
                    kill(child.Id, ctx.Signal == PosixSignal.SIGTERM ? 15 : 1);
            }));
        }
        return new Registrations(registrations);
    }

    private sealed class Registrations(List<PosixSignalRegistration> items) : IDisposable
    {
        public void Dispose() => items.ForEach(r => r.Dispose());
    }
}

/// <summary>`run` cannot start: one line, exit 1.</summary>
public sealed class RunRefused(string message) : Exception(message);
