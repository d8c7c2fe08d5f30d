using System.Globalization;
using System.Net;

namespace NetnsFs.Net.Names;

/// <summary>Where a namespace's names come from: a hosts file and the nameservers of a resolv.conf,
/// as `ip netns exec NAME` would see them (/etc/netns/NAME/{hosts,resolv.conf} when they exist,
/// else /etc/hosts and /etc/resolv.conf), unless the mount options name other files.</summary>
public sealed record ResolverConfig(string HostsPath, IReadOnlyList<IPAddress> Nameservers, TimeSpan Timeout, int Attempts)
{
    /// <summary>Longest a lookup may take, whatever resolv.conf says.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(5);

    public static ResolverConfig For(string? netnsName, string? hostsOverride, string? resolvOverride)
    {
        string etc = netnsName is null ? "/etc" : Path.Combine("/etc/netns", netnsName);
        string hosts = hostsOverride ?? (File.Exists(Path.Combine(etc, "hosts")) ? Path.Combine(etc, "hosts") : "/etc/hosts");
        string resolv = resolvOverride ?? (File.Exists(Path.Combine(etc, "resolv.conf")) ? Path.Combine(etc, "resolv.conf") : "/etc/resolv.conf");
        return ParseResolvConf(hosts, resolv);
    }

    private static ResolverConfig ParseResolvConf(string hosts, string path)
    {
        var servers = new List<IPAddress>();
        double timeout = 2;
        int attempts = 2;
        try
        {
            foreach (var raw in File.ReadLines(path))
            {
                var line = raw.Split('#', ';')[0].Trim();
                var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && parts[0] == "nameserver" && IPAddress.TryParse(parts[1], out var ip) && servers.Count < 3)
                    servers.Add(ip);
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
        }
        catch (IOException)
        {
            // no resolv.conf: hosts file only
        }
        var per = TimeSpan.FromSeconds(Math.Clamp(timeout, 0.1, MaxTimeout.TotalSeconds));
        return new ResolverConfig(hosts, servers, per, attempts);
    }

    /// <summary>The first address for <paramref name="name"/> in the hosts file, if any.</summary>
    public IPAddress? FromHostsFile(string name)
    {
        try
        {
            foreach (var raw in File.ReadLines(HostsPath))
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
        }
        catch (IOException)
        {
        }
        return null;
    }
}
