using System.Runtime.InteropServices;
using System.Text;
using NetnsFs.Client;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli.Runner;

/// <summary>The child side of `netnsfs run`: a fresh netnsfs process that the supervisor started
/// with <see cref="Flag"/>. On its main thread it sets the parent-death signal (the target dies
/// with its supervisor) and no_new_privs (setuid programs under `run` gain nothing), installs the
/// filter with a new listener, sends the listener to the supervisor and execs the command. The
/// filter is the calling thread's only (no TSYNC), and execve keeps just that thread, so the
/// runtime's other threads never run under it.</summary>
public static unsafe class RunTarget
{
    public const string Flag = "--run-target";

    /// <summary>What the child tells the supervisor, with the listener fd on <see cref="Listening"/>.</summary>
    public const string Listening = "listening";
    public const string Busy = "busy";
    public const string Unsupported = "unsupported";

    /// <summary>args: CHANNEL-FD PARENT-PID TRAP-SOCKETS(0|1) -- COMMAND [ARG...]</summary>
    public static int Start(string[] args)
    {
        int channel = int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);
        int parent = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        bool trapSockets = args[2] == "1";
        string[] command = args[4..];
        if (prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0) != 0 || getppid() != parent)
            return 1; // the supervisor is gone already
        WarmUp();
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            return Tell(channel, Unsupported + " " + Marshal.GetLastPInvokeError(), -1, exit: 1);
        int listener = Install(trapSockets, out int error);
        if (listener < 0)
        {
            // EBUSY: a filter of ours' ancestors has a listener (one per filter tree): run without
            // interception. Anything else: this kernel has no user notification.
            if (error != 16)
                return Tell(channel, Unsupported + " " + error, -1, exit: 1);
            Tell(channel, Busy, -1, exit: 0);
        }
        else
        {
            Tell(channel, Listening, listener, exit: 0);
            close(listener);
        }
        close(channel);
        string exe = ExecPath.Resolve(command[0]);
        ExecPath.Exec(exe, command);
        int e = Marshal.GetLastPInvokeError();
        Console.Error.WriteLine($"netnsfs run: {command[0]}: {Marshal.GetPInvokeErrorMessage(e)}");
        return e == 2 ? 127 : 126;
    }

    /// <summary>NativeAOT binds each libc import at its first call, by opening libc: an openat
    /// that, after the filter is in, would wait for a supervisor that does not have the listener
    /// yet. So every call made between installing and exec is made once before, harmlessly.</summary>
    private static void WarmUp()
    {
        FdPassing.Send(-1, Encoding.ASCII.GetBytes(Busy), -1);
        close(-1);
        execve("", [0], [0]);
        _ = Marshal.GetLastPInvokeError();
    }

    private static int Install(bool trapSockets, out int error)
    {
        var program = SeccompFilter.Build(trapSockets);
        fixed (SockFilter* p = program)
        {
            var prog = new SockFprog { Len = (ushort)program.Length, Filter = p };
            // WAIT_KILLABLE_RECV (5.19): once the supervisor has a call, only a fatal signal
            // interrupts it, so a signal cannot restart an open the supervisor is dialling for.
            int fd = (int)Syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, (nint)(&prog));
            if (fd < 0 && Marshal.GetLastPInvokeError() == 22)
                fd = (int)Syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, (nint)(&prog));
            error = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            return fd;
        }
    }

    private static int Tell(int channel, string what, int fd, int exit)
    {
        FdPassing.Send(channel, Encoding.ASCII.GetBytes(what), fd);
        return exit;
    }
}
