using System.Globalization;

namespace NetnsFs.Tests.Support;

/// <summary>What the kernel's socket tables of a network namespace say: `DIR/tcp` and `DIR/tcp6`
/// of a /proc/net directory (a mount's `net`, read through it, or /proc/PID/net of a process inside
/// the namespace), and which sockets a process holds.</summary>
public static class ProcNet
{
    private const string Listen = "0A"; // TCP_LISTEN in the st column

    /// <summary>The rows of DIR/tcp and DIR/tcp6, split into columns (header lines left out).</summary>
    private static IEnumerable<string[]> TcpRows(string netDir) =>
        new[] { "tcp", "tcp6" }.SelectMany(t => File.ReadAllLines(Path.Combine(netDir, t)).Skip(1))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 9);

    /// <summary>Whether a TCP socket of the namespace listens on <paramref name="port"/> (any address).</summary>
    public static bool Listens(string netDir, int port)
    {
        string hex = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        return TcpRows(netDir).Any(f => f[1].EndsWith(hex, StringComparison.Ordinal) && f[3] == Listen);
    }

    /// <summary>The inodes of the TCP sockets of the namespace (0, a socket no fd holds any more, left out).</summary>
    public static HashSet<string> TcpInodes(string netDir) =>
        TcpRows(netDir).Select(f => f[9]).Where(i => i != "0").ToHashSet();

    /// <summary>The inodes of the sockets process <paramref name="pid"/> holds by fd ("socket:[N]" links).</summary>
    public static HashSet<string> SocketInodes(int pid)
    {
        var found = new HashSet<string>();
        foreach (var fd in Directory.GetFileSystemEntries($"/proc/{pid}/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed meanwhile
            }
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                found.Add(target["socket:[".Length..^1]);
        }
        return found;
    }

    /// <summary>How many TCP sockets of the namespace process <paramref name="pid"/> holds.</summary>
    public static int TcpSocketsHeld(int pid, string netDir)
    {
        var held = SocketInodes(pid);
        held.IntersectWith(TcpInodes(netDir));
        return held.Count;
    }
}
