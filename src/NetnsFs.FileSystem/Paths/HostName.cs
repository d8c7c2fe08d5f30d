using System.Net;
using Mono.Unix.Native;

namespace NetnsFs.FileSystem.Paths;

/// <summary>The HOST component of a dial path: an IPv4 or IPv6 literal, "localhost", or a name that
/// is resolved inside the namespace (its hosts file and nameservers, never the daemon's own).</summary>
public static class HostName
{
    /// <summary>Longest DNS name (RFC 1035).</summary>
    public const int MaxLength = 253;

    /// <summary>Whether <paramref name="text"/> has the shape of a host: a literal, or a DNS-style name.
    /// Anything else (spaces, control characters, "..") is no host: ENOENT at lookup.</summary>
    public static bool IsWellFormed(string text)
    {
        if (text.Length == 0 || text.Length > MaxLength || text is "." or "..")
            return false;
        if (text.Contains(':'))
            return IPAddress.TryParse(text, out var a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        foreach (char c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
                return false;
        }
        return !text.Contains("..", StringComparison.Ordinal);
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

    /// <summary>IPAddress.TryParse also takes "1" or "0x7f.1"; only the dotted-quad and IPv6 forms count.</summary>
    private static bool IsLiteral(string text, IPAddress parsed)
    {
        if (parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            return text.Contains(':');
        int dots = 0;
        foreach (char c in text)
        {
            if (c == '.')
                dots++;
            else if (!char.IsAsciiDigit(c))
                return false;
        }
        return dots == 3;
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
