using System.Runtime.InteropServices;
using NetnsFs.Client;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli;

/// <summary><c>netnsfs exec DIR --socket [NAME=]PATH ... -- COMMAND ARGS...</c>: asks the mount DIR
/// for each socket, then replaces itself with COMMAND (same pid), the sockets as fds 3, 4, ... and
/// LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES set as systemd socket activation does. COMMAND runs in
/// the caller's own namespaces; only its sockets live in DIR's.</summary>
public static class ExecCommand
{
    public static int Run(string[] args)
    {
        var (dir, sockets, command) = Parse(args);
        var fds = new List<int>();
        var names = new List<string>();
        foreach (var (name, path) in sockets)
        {
            try
            {
                fds.Add(NetnsSocket.OpenFd(dir, path));
                names.Add(name);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                Console.Error.WriteLine($"netnsfs exec: {path}: {e.Message}");
                return 1;
            }
        }
        if (!PlaceFrom3(fds, sockets))
            return 1;
        var env = new Dictionary<string, string>();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            env[(string)e.Key] = (string?)e.Value ?? "";
        env["LISTEN_FDS"] = fds.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["LISTEN_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture); // execve keeps the pid
        env["LISTEN_FDNAMES"] = string.Join(':', names);
        string exe = Runner.ExecPath.Resolve(command[0]);
        Runner.ExecPath.Exec(exe, command, env.Select(kv => $"{kv.Key}={kv.Value}").ToArray());
        Console.Error.WriteLine($"netnsfs exec: {command[0]}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return 127;
    }

    /// <summary>Moves the sockets to fds 3, 4, ... (as systemd passes them), first each to a free fd
    /// above that range (F_DUPFD_CLOEXEC: whatever the fd limit, unlike a fixed staging number), so
    /// no dup2 overwrites a socket not yet moved. Every call is checked: a socket that cannot be
    /// placed is a message and exit 1, never a LISTEN_FDS that promises an fd that is not there.</summary>
    private static bool PlaceFrom3(List<int> fds, List<(string Name, string Path)> sockets)
    {
        var staged = new int[fds.Count];
        for (int i = 0; i < fds.Count; i++)
        {
            staged[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3 + fds.Count);
            if (staged[i] < 0)
                return Failed(sockets[i].Path, 3 + i, "fcntl(F_DUPFD_CLOEXEC)");
            close(fds[i]);
        }
        for (int i = 0; i < fds.Count; i++)
        {
            if (dup2(staged[i], 3 + i) != 3 + i) // dup2 clears close-on-exec on the new fd
                return Failed(sockets[i].Path, 3 + i, "dup2");
            close(staged[i]);
        }
        return true;
    }

    private static bool Failed(string path, int target, string call)
    {
        Console.Error.WriteLine($"netnsfs exec: {path}: cannot place the socket at fd {target}: {call}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return false;
    }

    private static (string Dir, List<(string Name, string Path)> Sockets, string[] Command) Parse(string[] args)
    {
        if (args.Length < 1)
            throw new UsageException("usage: netnsfs exec DIR --socket [NAME=]PATH ... -- COMMAND [ARGS...]");
        string dir = args[0];
        var sockets = new List<(string, string)>();
        int i = 1;
        for (; i < args.Length && args[i] != "--"; i++)
        {
            if (args[i] is not ("--socket" or "-s") || i + 1 >= args.Length)
                throw new UsageException($"netnsfs exec: unexpected '{args[i]}'");
            string spec = args[++i];
            int eq = spec.IndexOf('=', StringComparison.Ordinal);
            string name = eq > 0 ? spec[..eq] : spec.Replace(':', '_').Replace('/', '_');
            sockets.Add((name, eq > 0 ? spec[(eq + 1)..] : spec));
        }
        if (i + 1 >= args.Length)
            throw new UsageException("netnsfs exec: no COMMAND after --");
        return (dir, sockets, args[(i + 1)..]);
    }
}
