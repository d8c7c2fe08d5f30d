using System.Globalization;
using System.Net;

namespace NetnsFs.Net.Names;

/// <summary>Where a namespace's names come from: a hosts file and the nameservers of a resolv.conf,
/// as `ip netns exec NAME` would see them (/etc/netns/NAME/{hosts,resolv.conf} when they exist,
/// else /etc/hosts and /etc/resolv.conf), unless the mount options name other files.
/// <see cref="Timeout"/> is what one try (one query to one server) waits for its answer; a lookup
/// makes up to <see cref="Attempts"/> rounds over the <see cref="Nameservers"/>.</summary>
public sealed record ResolverConfig(string HostsPath, IReadOnlyList<IPAddress> Nameservers, TimeSpan Timeout, int Attempts)
{
    /// <summary>Longest one try may wait for its answer, whatever resolv.conf's <c>timeout:</c> says
    /// (a lookup of attempts × servers tries may take that many times as long).</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Nameservers used, as glibc's MAXNS: later lines are ignored.</summary>
    public const int MaxNameservers = 3;

    public static ResolverConfig For(string? netnsName, string? hostsOverride, string? resolvOverride)
    {
        string etc = netnsName is null ? "/etc" : Path.Combine("/etc/netns", netnsName);
        string hosts = hostsOverride ?? (File.Exists(Path.Combine(etc, "hosts")) ? Path.Combine(etc, "hosts") : "/etc/hosts");
        string resolv = resolvOverride ?? (File.Exists(Path.Combine(etc, "resolv.conf")) ? Path.Combine(etc, "resolv.conf") : "/etc/resolv.conf");
        return Parse(hosts, ReadLines(resolv));
    }

    /// <summary>The config that <paramref name="resolvConf"/>'s lines give (nameserver lines, options
    /// timeout:N and attempts:N; comments after # or ;), with the hosts file at <paramref name="hostsPath"/>.
    /// Defaults: 2 s a try (glibc waits 5: a silent server fails an open sooner here) and 2 attempts;
    /// timeouts are clamped to 0.1–5 s, attempts to 1–3.</summary>
    public static ResolverConfig Parse(string hostsPath, IEnumerable<string> resolvConf)
    {
        var servers = new List<IPAddress>();
        double timeout = 2;
        int attempts = 2;
        foreach (var raw in resolvConf)
        {
            var line = raw.Split('#', ';')[0].Trim();
            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && parts[0] == "nameserver" && IPAddress.TryParse(parts[1], out var ip) && servers.Count < MaxNameservers)
            {
                servers.Add(ip);
            }
            else if (parts.Length >= 2 && parts[0] == "options")
            {
                foreach (var o in parts[1..])
                {
                    if (o.StartsWith("timeout:", StringComparison.Ordinal) && double.TryParse(o[8..], NumberStyles.Float, CultureInfo.InvariantCulture, out var t))
                        timeout = t;
                    else if (o.StartsWith("attempts:", StringComparison.Ordinal) && int.TryParse(o[9..], NumberStyles.None, CultureInfo.InvariantCulture, out var a))
                        attempts = Math.Clamp(a, 1, 3);
                }
            }
        }
        var per = TimeSpan.FromSeconds(Math.Clamp(timeout, 0.1, MaxTimeout.TotalSeconds));
        return new ResolverConfig(hostsPath, servers, per, attempts);
    }

    /// <summary>The first address for <paramref name="name"/> in the hosts file, if any.</summary>
    public IPAddress? FromHostsFile(string name) => FindInHosts(ReadLines(HostsPath), name);

    /// <summary>The first address that hosts-file <paramref name="lines"/> give <paramref name="name"/>
    /// (as its canonical name or an alias, case-insensitively; text after # is a comment).</summary>
    public static IPAddress? FindInHosts(IEnumerable<string> lines, string name)
    {
        foreach (var raw in lines)
        {
            var parts = raw.Split('#')[0].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !IPAddress.TryParse(parts[0], out var ip))
                continue;
            for (int i = 1; i < parts.Length; i++)
            {
                if (string.Equals(parts[i], name, StringComparison.OrdinalIgnoreCase))
                    return ip;
            }
        }
        return null;
    }

    /// <summary>A file's lines, read as they are used; none from where it cannot be read (no
    /// resolv.conf: the hosts file only).</summary>
    private static IEnumerable<string> ReadLines(string path)
    {
        StreamReader reader;
        try
        {
            reader = new StreamReader(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        using (reader)
        {
            while (true)
            {
                string? line;
                try
                {
                    line = reader.ReadLine();
                }
                catch (IOException)
                {
                    yield break;
                }
                if (line is null)
                    yield break;
                yield return line;
            }
        }
    }
}
