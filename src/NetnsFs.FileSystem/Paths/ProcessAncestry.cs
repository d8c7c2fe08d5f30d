namespace NetnsFs.FileSystem.Paths;

/// <summary>The process ids from a caller up through its parents, read from /proc: conn/self finds
/// the socket that the shell opened when `cat` (its child) asks.</summary>
public static class ProcessAncestry
{
    private const int MaxDepth = 16;

    /// <summary>The thread group of <paramref name="pid"/>, then each parent's, up to init.</summary>
    public static List<uint> Chain(uint pid)
    {
        var chain = new List<uint>();
        uint current = pid;
        for (int i = 0; i < MaxDepth && current > 1; i++)
        {
            var (tgid, ppid) = Read(current);
            if (tgid == 0)
                break;
            if (current != tgid)
                chain.Add(current); // the thread itself, as the kernel reported it
            chain.Add(tgid);
            current = ppid;
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
                    tgid = uint.Parse(line.AsSpan(5).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                else if (line.StartsWith("PPid:", StringComparison.Ordinal))
                {
                    ppid = uint.Parse(line.AsSpan(5).Trim(), System.Globalization.CultureInfo.InvariantCulture);
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
