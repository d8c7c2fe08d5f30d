using System.Runtime.InteropServices;
using Serilog;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli;

/// <summary>The daemon's fd limit. Every socket, listener, handoff connection and namespace of every
/// user of a mount is an fd of this one process; under systemd the soft limit is 1024 (the hard
/// one 512 Ki), which a few users would exhaust. The daemon raises its soft limit to the hard one
/// once at start (a process may, without privilege) and sizes its per-mount limits from it
/// (FileSystem.Limits.MountLimits.ForFdLimit). Children it runs (unshare, nsenter) do not
/// inherit much: they exec and exit.</summary>
internal static unsafe class FdLimit
{
    /// <summary>The soft limit now (after <see cref="Raise"/>).</summary>
    public static long Current
    {
        get
        {
            RLimit r;
            return getrlimit(RLIMIT_NOFILE, &r) == 0 ? Clamp(r.Cur) : 1024;
        }
    }

    /// <summary>Raises the soft limit to the hard one; logs both. Returns the soft limit.</summary>
    public static long Raise(ILogger log)
    {
        RLimit r;
        if (getrlimit(RLIMIT_NOFILE, &r) != 0)
        {
            log.Warning("getrlimit(RLIMIT_NOFILE) failed: errno {Errno}", Marshal.GetLastPInvokeError());
            return 1024;
        }
        ulong before = r.Cur;
        if (r.Cur < r.Max)
        {
            r.Cur = r.Max;
            if (setrlimit(RLIMIT_NOFILE, &r) != 0)
            {
                log.Warning("cannot raise the fd limit from {Soft} to {Hard}: errno {Errno}", before, r.Max, Marshal.GetLastPInvokeError());
                r.Cur = before;
            }
        }
        log.Information("fd limit {Soft} (was {Before}, hard {Hard})", Clamp(r.Cur), Clamp(before), Clamp(r.Max));
        return Clamp(r.Cur);
    }

    private static long Clamp(ulong v) => v > long.MaxValue ? long.MaxValue : (long)v;
}
