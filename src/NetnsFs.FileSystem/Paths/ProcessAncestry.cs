using System.Globalization;

namespace NetnsFs.FileSystem.Paths;

/// <summary>Processes as /proc shows them, for conn/self: the caller's process and its threads (a
/// socket one thread opened is its process's), then its parents (`cat`, a shell's child, finds the
/// socket the shell opened). FUSE reports the calling thread, not its process.</summary>
public static class ProcessAncestry
{
    private const int MaxDepth = 16;

    /// <summary>The process (thread group) a thread id belongs to; the id itself once the thread is gone.</summary>
    public static uint ProcessOf(uint tid)
    {
        uint tgid = Read(tid).Tgid;
        return tgid != 0 ? tgid : tid;
    }

    /// <summary>The ids of the live threads of process <paramref name="pid"/>, the process's own among them.</summary>
    public static HashSet<uint> ThreadsOf(uint pid)
    {
        var threads = new HashSet<uint> { pid };
        try
        {
            foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                if (uint.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out uint tid))
                    threads.Add(tid);
            }
        }
        catch (IOException)
        {
            // gone meanwhile: its own id is all there is
        }
        return threads;
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
                    tgid = uint.Parse(line.AsSpan(5).Trim(), CultureInfo.InvariantCulture);
                else if (line.StartsWith("PPid:", StringComparison.Ordinal))
                {
                    ppid = uint.Parse(line.AsSpan(5).Trim(), CultureInfo.InvariantCulture);
                    break;
                }
            }
            return (tgid, ppid);
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }
}
