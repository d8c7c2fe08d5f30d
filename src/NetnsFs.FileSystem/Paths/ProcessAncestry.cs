using System.Globalization;
using System.Runtime.InteropServices;

namespace NetnsFs.FileSystem.Paths;

/// <summary>Processes as /proc shows them, for conn/self and owner: FUSE reports the calling thread,
/// and a socket one thread opened is its process's; a caller's parents are looked at too (`cat`, a
/// shell's child, finds the socket the shell opened).</summary>
public static class ProcessAncestry
{
    private const int MaxDepth = 16;

    /// <summary>The process (thread group) a thread id belongs to: the id itself for a main thread
    /// (one system call: tgkill(tid, tid, 0) succeeds, or is refused for permission, only if the
    /// thread leads its group), else read from /proc; the id itself if the thread is gone, 0 for 0
    /// (a caller the kernel cannot name in the mount's pid namespace).</summary>
    public static uint ProcessOf(uint tid)
    {
        if (tid == 0)
            return 0;
        if (Interop.Libc.tgkill((int)tid, (int)tid, 0) == 0 || Marshal.GetLastPInvokeError() == (int)Interop.Errno.EPERM)
            return tid;
        uint tgid = Read(tid).Tgid;
        return tgid != 0 ? tgid : tid;
    }

    /// <summary>The parent of <paramref name="pid"/>, its parent, and so on up to (not including) init.</summary>
    public static List<uint> Ancestors(uint pid)
    {
        var chain = new List<uint>();
        uint current = Read(pid).PPid;
        for (int i = 0; i < MaxDepth && current > 1; i++)
        {
            chain.Add(current);
            current = Read(current).PPid;
        }
        return chain;
    }

    private static (uint Tgid, uint PPid) Read(uint pid)
    {
        try
        {
            uint tgid = 0, ppid = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Tgid:", StringComparison.Ordinal))
                {
                    tgid = uint.Parse(line.AsSpan(5).Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("PPid:", StringComparison.Ordinal))
                {
                    ppid = uint.Parse(line.AsSpan(5).Trim(), CultureInfo.InvariantCulture);
                    break;
                }
            }
            return (tgid, ppid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (0, 0); // gone, or hidden (hidepid)
        }
    }
}
