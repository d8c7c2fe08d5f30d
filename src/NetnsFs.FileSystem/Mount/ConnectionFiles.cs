using System.Globalization;
using NetnsFs.FileSystem.Control;
using NetnsFs.Interop;
using NetnsFs.Net.Identity;
using Serilog;

namespace NetnsFs.FileSystem.Mount;

/// <summary>What the files of conn/N/ (Plan 9's /net/tcp/N: local, remote, state, path, owner, ctl)
/// say and do, and net/ (the namespace's /proc/net, read from inside it at each open) say, from the mount's
/// open sockets.</summary>
public sealed class ConnectionFiles(OpenFileTable files, ILogger log)
{
    public bool Exists(ulong handle) => files.FindSocket(handle) is not null;

    public string Describe(ulong handle, string file)
    {
        if (files.FindSocket(handle) is not { } s || s.Socket.IsClosed)
            return "";
        return file switch
        {
            // Under the socket's lock: it cannot close (and its fd be reused) while they are read.
            "local" or "remote" or "state" => s.DescribeSocket(file) is { } text ? text + "\n" : "",
            "path" => s.Description + "\n",
            "owner" => string.Create(CultureInfo.InvariantCulture, $"pid={s.OpenerProcess} uid={s.OpenerUid}\n"),
            _ => "",
        };
    }

    /// <summary>Whether <paramref name="uid"/> may open conn/N/ctl for writing: the sharing model
    /// gives a connection to the uid that opened it (and root). Checked at open, as file permissions
    /// are: the fd then is a capability its opener may pass on.</summary>
    public bool MayControl(ulong handle, uint uid, uint pid)
    {
        if (files.FindSocket(handle) is not { } s)
            return true; // gone: the open answers ENOENT
        if (uid == 0 || uid == s.OpenerUid)
            return true;
        log.Warning("conn/{Handle}/ctl refused to pid {Pid} uid {Uid}: uid {Owner}'s connection", handle, pid, uid, s.OpenerUid);
        return false;
    }

    /// <summary>What writes to conn/N/ctl run: shutdown, connect, bind, announce, listen.</summary>
    public ConnectionControl Commands { get; } = new(files, log);

    /// <summary>A command of conn/N/ctl that answers at once ("shutdown", "shutdown rd", "shutdown
    /// rdwr"; the others need the write they answer: <see cref="Commands"/>).</summary>
    public Errno Control(ulong handle, string command)
    {
        if (files.FindSocket(handle) is not { } s)
            return Errno.EBADF;
        int how = ShutdownOf(command);
        if (how < 0)
        {
            log.Debug("conn/{Handle}/ctl: unknown command {Command}", handle, command);
            return Errno.EINVAL;
        }
        return s.Shutdown(how);
    }

    /// <summary>shutdown(2)'s how for a ctl command (SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2); -1 for
    /// one that is no shutdown.</summary>
    public static int ShutdownOf(string command) =>
        ControlCommand.TryParse(command, Net.Sockets.SocketKind.AF_INET, out var c, out _) == 0 && c.Verb == ControlVerb.Shutdown ? c.How : -1;

    /// <summary>A /proc/net table of the namespace, read as <paramref name="caller"/>: what the kernel
    /// shows depends on who reads (kernel pointers are zeros without CAP_SYSLOG under kptr_restrict).</summary>
    public string ReadProcNet(NamespaceView view, string file, Caller caller)
    {
        if (view.Namespace.IsDisposed)
            return ""; // removed (rmdir) since the lookup: nothing of it is entered again
        if (view.Namespace.Proxy is { } proxy)
            return proxy.Read("/proc/thread-self/net/" + file) ?? ""; // as the process inside reads it
        using (view.Namespace.Enter())
        using (ThreadCredentials.Assume(caller, ThreadCredentials.SyslogCapability))
        {
            try
            {
                return File.ReadAllText("/proc/thread-self/net/" + file);
            }
            catch (IOException)
            {
                return ""; // a table this kernel does not have (no IPv6, say)
            }
        }
    }
}
