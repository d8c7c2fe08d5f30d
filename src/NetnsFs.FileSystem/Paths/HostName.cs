using System.Net;
using NetnsFs.Interop;

namespace NetnsFs.FileSystem.Paths;

/// <summary>The HOST component of a dial path: an IPv4 or IPv6 literal, "localhost", or a name that
/// is resolved inside the namespace (its hosts file and nameservers, never the daemon's own).</summary>
public static class HostName
{
    /// <summary>Longest DNS name (RFC 1035).</summary>
    public const int MaxLength = 253;

    /// <summary>Whether <paramref name="text"/> has the shape of a host: an IPv6 literal (no brackets,
    /// no port), or a DNS name of labels of 1-63 letters, digits, '-' and '_', not starting or
    /// ending with '-'. Anything else (spaces, control characters, "..", "[::1]:9") is no host:
    /// ENOENT at lookup, never a silently different target.</summary>
    public static bool IsWellFormed(string text)
    {
        if (text.Length == 0 || text.Length > MaxLength)
            return false;
        if (text.Contains(':'))
            return text.IndexOfAny(['[', ']', '/']) < 0 && IPAddress.TryParse(text, out var a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        foreach (var label in text.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
                return false;
            foreach (char c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                    return false;
            }
        }
        return true;
    }

    /// <summary>The address of a literal or "localhost"; EHOSTUNREACH for a name, which must be
    /// looked up inside the namespace.</summary>
    public static Errno TryResolve(string text, out IPAddress address)
    {
        if (text.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
            return 0;
        }
        if (IPAddress.TryParse(text, out var parsed) && IsLiteral(text, parsed))
        {
            address = parsed;
            return 0;
        }
        address = IPAddress.None;
        return Errno.EHOSTUNREACH;
    }

    /// <summary>IPAddress.TryParse also takes "1", "0x7f.1", "010" (octal) and "[::1]:9" (dropping
    /// the port); only plain dotted-decimal (no leading zeros) and bare IPv6 forms count.</summary>
    private static bool IsLiteral(string text, IPAddress parsed)
    {
        if (parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            return text.Contains(':') && text.IndexOfAny(['[', ']']) < 0;
        var octets = text.Split('.');
        if (octets.Length != 4)
            return false;
        foreach (var o in octets)
        {
            if (o.Length is 0 or > 3 || (o.Length > 1 && o[0] == '0') || !o.All(char.IsAsciiDigit))
                return false;
        }
        return true;
    }

    /// <summary>A port component: decimal 1..65535, no sign, no leading zeros beyond "0".</summary>
    public static Errno TryParsePort(string text, out int port)
    {
        port = 0;
        if (text.Length is 0 or > 5 || (text.Length > 1 && text[0] == '0'))
            return Errno.ENOENT;
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
                return Errno.ENOENT;
        }
        port = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        return port is >= 1 and <= 65535 ? 0 : Errno.EINVAL;
    }

    /// <summary>A listen port: like <see cref="TryParsePort"/>, and 0 (any free port) allowed.</summary>
    public static Errno TryParseListenPort(string text, out int port)
    {
        if (text == "0")
        {
            port = 0;
            return 0;
        }
        return TryParsePort(text, out port);
    }
}
