using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using NetnsFs.Client;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli.Runner;

/// <summary>Answers the trapped calls of a `netnsfs run` target (seccomp_unotify(2)). An open of a
/// netnsfs socket path, and with --net a socket(2) call, is asked of the mount's daemon over its
/// handoff socket, as any handoff client asks, and the socket is installed in the target as the
/// call's result (SECCOMP_ADDFD_FLAG_SEND: installed and returned in one step). Every other call
/// continues in the kernel. The filter is no access control (the target could reach the FUSE file
/// or its own namespace anyway, and a call the supervisor cannot judge simply continues): the
/// daemon checks this process's credentials, which are the target's (a thread whose credentials
/// differ from the supervisor's is let through to the kernel, where FUSE names it itself).
/// <para>One thread receives; calls that need the daemon go to the thread pool, so one slow dial
/// holds up no other thread of the target. A watcher cancels a request whose call went away (the
/// thread was killed): its handoff connection is shut, which cancels the dial in the daemon.</para></summary>
internal sealed unsafe class Supervisor(int listener, string? netDirectory)
{
    private readonly string _credentials = TargetThread.Credentials("/proc/self/status") ?? "";
    private readonly string? _mountNamespace = TargetThread.ReadLink("/proc/self/ns/mnt");
    private readonly ConcurrentDictionary<string, ConcurrentBag<Socket>> _idle = new();
    private readonly ConcurrentDictionary<ulong, Socket> _inFlight = new();
    private readonly ConcurrentDictionary<string, bool> _namespaceRoots = new();
    private readonly int _stop = eventfd(0, EFD_CLOEXEC);
    private bool _addFdSends = true;

    /// <summary>Notifications received and not yet answered: a supervisor that goes away with
    /// some would leave their threads waiting for ever.</summary>
    private int _unanswered;

    /// <summary>Serves until no process is under the filter any more (POLLHUP), the listener
    /// fails, or <see cref="StopReceiving"/>.</summary>
    public void Serve()
    {
        using var watcher = new Timer(_ => CancelVanished(), null, 200, 200);
        var notif = new SeccompNotif();
        var pfds = stackalloc PollFd[2];
        while (true)
        {
            pfds[0] = new PollFd { Fd = listener, Events = POLLIN };
            pfds[1] = new PollFd { Fd = _stop, Events = POLLIN };
            if (poll(pfds, 2, -1) < 0)
            {
                if (Marshal.GetLastPInvokeError() == 4)
                    continue;
                return;
            }
            if (pfds[1].REvents != 0 || (pfds[0].REvents & POLLIN) == 0)
                break; // stopped; or POLLHUP: every target has exited
            notif = default;
            if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &notif) < 0)
            {
                int e = Marshal.GetLastPInvokeError();
                if (e is 2 or 4) // ENOENT: the call went away before it was read; EINTR
                    continue;
                break;
            }
            Interlocked.Increment(ref _unanswered);
            Handle(notif);
        }
        // What was received is answered before Serve returns (a dial waits for its connect, or
        // for a call that went away to be noticed by the watcher).
        while (Volatile.Read(ref _unanswered) > 0)
            Thread.Sleep(5);
    }

    /// <summary>Whether a process is still under the filter: the listener says POLLHUP once
    /// the last one has exited.</summary>
    public bool TargetsRemain(int waitMilliseconds)
    {
        var pfd = new PollFd { Fd = listener, Events = 0 };
        return poll(&pfd, 1, waitMilliseconds) == 0 || (pfd.REvents & POLLHUP) == 0;
    }

    /// <summary>Receives nothing more: <see cref="Serve"/> answers what it has and returns, and
    /// another supervisor (<see cref="RunSurvivor"/>) may take the listener over.</summary>
    public void StopReceiving()
    {
        ulong one = 1;
        write(_stop, &one, 8);
    }

    private void Handle(SeccompNotif n)
    {
        if (n.Arch != AUDIT_ARCH_X86_64)
        {
            Continue(n.Id);
            return;
        }
        if (n.Nr == SYS_socket)
        {
            string? triple = netDirectory is null ? null : SocketPath.Triple((int)n.Args[0], (int)n.Args[1], (int)n.Args[2]);
            if (triple is null || !SameCredentials(n.Pid))
            {
                Continue(n.Id);
                return;
            }
            int type = (int)n.Args[1];
            Dispatch(n.Id, new SocketTarget(netDirectory!, triple), (type & SOCK_NONBLOCK) != 0, (type & SOCK_CLOEXEC) != 0);
            return;
        }
        var (dirfd, pointer, flags) = n.Nr switch
        {
            SYS_openat => ((int)n.Args[0], n.Args[1], (int)n.Args[2]),
            SYS_open => (-100, n.Args[0], (int)n.Args[1]),
            _ => (-100, n.Args[0], 0x241), // creat: O_CREAT | O_WRONLY | O_TRUNC
        };
        var target = Locate(n.Pid, dirfd, pointer, flags);
        // The path was read from memory the target could change: use it only if the call that
        // named it is still the one waiting (a thread of the same id could have made another).
        if (target is null || !IdValid(n.Id))
        {
            Continue(n.Id);
            return;
        }
        Dispatch(n.Id, target.Value, (flags & O_NONBLOCK) != 0, (flags & O_CLOEXEC) != 0);
    }

    private SocketTarget? Locate(uint tid, int dirfd, ulong pointer, int flags)
    {
        if ((flags & (O_DIRECTORY | O_PATH)) != 0)
            return null;
        string? path = TargetThread.ReadString(tid, pointer);
        if (path is null || !SocketPath.MayBe(path))
            return null;
        // The target's own view must be ours for its paths to mean what ours do.
        if (TargetThread.Link(tid, "root") != "/" || TargetThread.Link(tid, "ns/mnt") != _mountNamespace)
            return null;
        string? directory = path.StartsWith('/') ? null : TargetThread.Link(tid, dirfd == -100 ? "cwd" : $"fd/{dirfd}");
        if (SocketPath.Absolute(path, directory) is not { } absolute)
            return null;
        var mounts = NetnsfsMounts.Current();
        if (SocketPath.Locate(absolute, mounts, IsNamespaceRoot) is not { } target || !SameCredentials(tid))
            return null;
        return target;
    }

    private bool IsNamespaceRoot(string mount) =>
        _namespaceRoots.GetOrAdd(mount, m => TargetThread.ReadLink(m.TrimEnd('/') + "/" + HandoffWire.LinkName) is not null);

    /// <summary>The daemon will check this process: that is right only if the thread is as privileged.</summary>
    private bool SameCredentials(uint tid) => TargetThread.Credentials($"/proc/{tid}/status") == _credentials;

    private void Dispatch(ulong id, SocketTarget target, bool nonBlocking, bool closeOnExec) =>
        ThreadPool.UnsafeQueueUserWorkItem(_ => Ask(id, target, nonBlocking, closeOnExec), null);

    private void Ask(ulong id, SocketTarget target, bool nonBlocking, bool closeOnExec)
    {
        // Queued behind slower requests, the call may have gone meanwhile (its thread killed; on a
        // kernel without WAIT_KILLABLE_RECV, interrupted by a signal and restarted as a new
        // notification): dialling for it would be a dial nobody takes, once per signal.
        if (!IdValid(id))
        {
            Answered();
            return;
        }
        Socket conn;
        try
        {
            conn = Take(target.HandoffDirectory);
        }
        catch (SocketException)
        {
            Continue(id); // no handoff to be had (no access, no run directory): the FUSE file answers
            return;
        }
        int fd;
        _inFlight[id] = conn;
        try
        {
            fd = NetnsSocket.Request(conn, target.Request, nonBlocking);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (!_inFlight.TryRemove(id, out _))
            {
                conn.Dispose(); // cancelled: the call went away, nobody to answer
                Answered();
                return;
            }
            if (e is NetnsSocketException refused && refused.Errno != (int)NetnsFs.Interop.Errno.EPROTO)
            {
                Give(target.HandoffDirectory, conn);
                Fail(id, refused.Errno); // the daemon's answer, as a handoff client gets it
                return;
            }
            conn.Dispose();
            Continue(id); // the connection broke (an idle one the daemon closed): the kernel opens the file
            return;
        }
        if (!_inFlight.TryRemove(id, out _))
        {
            close(fd);
            conn.Dispose();
            Answered(); // cancelled: the call went away
            return;
        }
        Give(target.HandoffDirectory, conn);
        Install(id, fd, closeOnExec);
    }

    /// <summary>Makes <paramref name="fd"/> the trapped call's result (O_NONBLOCK came with the
    /// socket: the daemon made it so when asked, and it is the file's, not the descriptor's).</summary>
    private void Install(ulong id, int fd, bool closeOnExec)
    {
        var add = new SeccompNotifAddFd { Id = id, Flags = _addFdSends ? SECCOMP_ADDFD_FLAG_SEND : 0, SrcFd = (uint)fd, NewFdFlags = closeOnExec ? (uint)O_CLOEXEC : 0 };
        int installed = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
        int e = installed < 0 ? Marshal.GetLastPInvokeError() : 0;
        close(fd); // the target has its own now, or is gone and has none
        if (installed >= 0 && !_addFdSends)
        {
            Reply(new SeccompNotifResp { Id = id, Val = installed });
        }
        else if (e == 22 && _addFdSends) // EINVAL: a kernel before 5.14, without ADDFD_FLAG_SEND
        {
            _addFdSends = false;
            Continue(id);
        }
        else
        {
            Answered(); // installed and returned in one step, or the call went away
        }
    }

    private void Answered() => Interlocked.Decrement(ref _unanswered);

    private Socket Take(string dir) =>
        _idle.TryGetValue(dir, out var bag) && bag.TryTake(out var conn) ? conn : NetnsSocket.Connect(dir);

    private void Give(string dir, Socket conn) => _idle.GetOrAdd(dir, _ => []).Add(conn);

    private void CancelVanished()
    {
        foreach (var (id, conn) in _inFlight)
        {
            if (IdValid(id) || !_inFlight.TryRemove(id, out _))
                continue;
            try
            {
                conn.Shutdown(SocketShutdown.Both); // wakes the request; the daemon sees the hangup and cancels the making
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // answered and closed meanwhile
            }
        }
    }

    private bool IdValid(ulong id) => ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;

    private void Continue(ulong id) => Reply(new SeccompNotifResp { Id = id, Flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE });

    private void Fail(ulong id, int errno) => Reply(new SeccompNotifResp { Id = id, Error = -errno });

    private void Reply(SeccompNotifResp resp)
    {
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp); // ENOENT: the call went away
        Answered();
    }
}
