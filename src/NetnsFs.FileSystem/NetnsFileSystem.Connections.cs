using NetnsFs.Net.Identity;
using System.Globalization;
using Mono.Unix.Native;
using NetnsFs.FileSystem.Files;

namespace NetnsFs.FileSystem;

/// <summary>conn/N/ (Plan 9's /net/tcp/N: local, remote, state, path, owner, ctl) and net/ (the
/// namespace's /proc/net, read from inside it at each open).</summary>
public sealed partial class NetnsFileSystem
{
    public bool Exists(ulong handle) => _open.TryGetValue(handle, out var f) && f is SocketFile;

    public string Describe(ulong handle, string file)
    {
        if (!_open.TryGetValue(handle, out var f) || f is not SocketFile s)
            return "";
        if (s.Socket.IsClosed)
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
    internal bool MayControl(ulong handle, uint uid, uint pid)
    {
        if (!_open.TryGetValue(handle, out var f) || f is not SocketFile s)
            return true; // gone: the open answers ENOENT
        if (uid == 0 || uid == s.OpenerUid)
            return true;
        _log.Warning("conn/{Handle}/ctl refused to pid {Pid} uid {Uid}: uid {Owner}'s connection", handle, pid, uid, s.OpenerUid);
        return false;
    }

    /// <summary>Commands of conn/N/ctl: "shutdown" (= "shutdown wr": half-close, the peer reads EOF
    /// and can still answer), "shutdown rd", "shutdown rdwr".</summary>
    public Errno Control(ulong handle, string command)
    {
        if (!_open.TryGetValue(handle, out var f) || f is not SocketFile s)
            return Errno.EBADF;
        int how = command switch
        {
            "shutdown" or "shutdown wr" or "shutdown write" => 1,
            "shutdown rd" or "shutdown read" => 0,
            "shutdown rdwr" or "shutdown both" => 2,
            _ => -1,
        };
        if (how < 0)
        {
            _log.Debug("conn/{Handle}/ctl: unknown command {Command}", handle, command);
            return Errno.EINVAL;
        }
        return s.Shutdown(how);
    }

    /// <summary>A /proc/net table of the namespace, read as <paramref name="caller"/>: what the kernel
    /// shows depends on who reads (kernel pointers are zeros without CAP_SYSLOG under kptr_restrict).</summary>
    public string ReadProcNet(NamespaceView view, string file, Caller caller)
    {
        if (view.Namespace.IsDisposed)
            return ""; // removed (rmdir) since the lookup: nothing of it is entered again
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
