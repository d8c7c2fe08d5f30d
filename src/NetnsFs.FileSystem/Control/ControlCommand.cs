using System.Net;
using System.Text;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Interop;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Control;

/// <summary>The verbs conn/N/ctl takes (after Plan 9's and Inferno's /net ctl files).</summary>
public enum ControlVerb
{
    /// <summary>shutdown [rd|wr|rdwr]: shutdown(2) of one direction (default wr, a half-close).</summary>
    Shutdown,

    /// <summary>connect ADDR: connect(2); for a datagram socket, its default peer.</summary>
    Connect,

    /// <summary>bind ADDR: bind(2) of the local address.</summary>
    Bind,

    /// <summary>announce [ADDR]: bind (if ADDR is given), then listen.</summary>
    Announce,

    /// <summary>listen: listen(2) on what was bound (a TCP socket not bound gets a free port).</summary>
    Listen,
}

/// <summary>One command written to conn/N/ctl, parsed (pure: nothing here touches a socket).
/// <see cref="Address"/> is set for connect and bind, and for announce when it names one;
/// <see cref="How"/> is shutdown(2)'s how for shutdown.</summary>
public readonly record struct ControlCommand(ControlVerb Verb, ControlAddress? Address = null, int How = Libc.SHUT_WR)
{
    /// <summary>Longest abstract unix name sun_path holds.</summary>
    public const int MaxAbstractName = SockAddr.MaxAbstractName;

    /// <summary>Parses one command for a socket of <paramref name="family"/> (which decides how
    /// ADDR reads: HOST!PORT for inet and inet6, @NAME or /PATH for unix). 0, or EINVAL with
    /// <paramref name="why"/> saying what is wrong: an unknown verb, a missing or extra argument,
    /// a bad address or port. Verbs are lower case, as in Plan 9; surrounding white space (the
    /// newline echo adds) does not count.
    /// <para>ADDR for inet sockets: HOST!PORT (Plan 9) or HOST/PORT (as in tcp/HOST/PORT); HOST is
    /// an IPv4 or IPv6 literal (IPv6 also in brackets, [::1]!80), "localhost", or a name (connect
    /// only; looked up inside the namespace); for bind and announce also "*" or nothing (any
    /// address: *!8080, !8080) or no HOST at all (8080). A port is decimal, 1-65535 for connect,
    /// 0-65535 for bind and announce (0: any free one).</para></summary>
    public static Errno TryParse(string line, int family, out ControlCommand command, out string why)
    {
        command = default;
        var words = line.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
            return Invalid("no command", out why);
        string verb = words[0];
        var args = words.AsSpan(1);
        switch (verb)
        {
            case "shutdown":
                return ParseShutdown(args, out command, out why);
            case "listen":
                if (args.Length != 0)
                    return Invalid("listen takes no argument (announce ADDR binds and listens)", out why);
                command = new ControlCommand(ControlVerb.Listen);
                why = "";
                return 0;
            case "connect" or "bind" or "announce":
                var v = verb switch { "connect" => ControlVerb.Connect, "bind" => ControlVerb.Bind, _ => ControlVerb.Announce };
                if (v == ControlVerb.Announce && args.Length == 0)
                {
                    command = new ControlCommand(v);
                    why = "";
                    return 0;
                }
                if (args.Length != 1)
                    return Invalid($"{verb} takes one address", out why);
                var e = TryParseAddress(args[0], family, forConnect: v == ControlVerb.Connect, out var address, out why);
                if (e == 0)
                    command = new ControlCommand(v, address);
                return e;
            default:
                return Invalid($"unknown verb {verb} (connect, bind, announce, listen, shutdown)", out why);
        }
    }

    private static Errno ParseShutdown(ReadOnlySpan<string> args, out ControlCommand command, out string why)
    {
        command = default;
        if (args.Length > 1)
            return Invalid("shutdown takes at most one direction", out why);
        int how = args.Length == 0 ? Libc.SHUT_WR : args[0] switch
        {
            "wr" or "write" => Libc.SHUT_WR,
            "rd" or "read" => Libc.SHUT_RD,
            "rdwr" or "both" => Libc.SHUT_RDWR,
            _ => -1,
        };
        if (how < 0)
            return Invalid($"shutdown {args[0]}: the direction is rd, wr or rdwr", out why);
        command = new ControlCommand(ControlVerb.Shutdown, How: how);
        why = "";
        return 0;
    }

    /// <summary>An ADDR for a socket of <paramref name="family"/>; <paramref name="forConnect"/>:
    /// a peer (a HOST and a port other than 0 needed; names allowed) rather than a local address.</summary>
    public static Errno TryParseAddress(string text, int family, bool forConnect, out ControlAddress? address, out string why)
    {
        address = null;
        if (family == SocketKind.AF_UNIX)
            return TryParseUnix(text, out address, out why);
        if (family is not (SocketKind.AF_INET or SocketKind.AF_INET6))
            return Invalid($"no address of this family is known: {text}", out why);
        int sep = text.LastIndexOf('!');
        if (sep < 0)
            sep = text.LastIndexOf('/');
        string host = sep < 0 ? "" : text[..sep];
        string portText = sep < 0 ? text : text[(sep + 1)..];
        if (sep < 0 && forConnect)
            return Invalid($"connect {text}: connect needs HOST!PORT", out why);
        var pe = forConnect ? HostName.TryParsePort(portText, out int port) : HostName.TryParseListenPort(portText, out port);
        if (pe != 0)
            return Invalid($"{text}: {portText} is no port ({(forConnect ? "1-65535" : "0-65535")})", out why);
        if (host is "" or "*")
        {
            if (forConnect)
                return Invalid($"connect {text}: connect needs an address", out why);
            address = new IpControlAddress(null, port);
            why = "";
            return 0;
        }
        if (host.StartsWith('[') || host.EndsWith(']'))
        {
            string inner = host.Length >= 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : "";
            if (!IPAddress.TryParse(inner, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || !inner.Contains(':'))
                return Invalid($"{text}: {host} is no IPv6 literal", out why);
            address = new IpControlAddress(v6, port);
            why = "";
            return 0;
        }
        if (HostName.TryResolve(host, out var literal) == 0)
        {
            address = new IpControlAddress(literal, port);
            why = "";
            return 0;
        }
        if (!forConnect)
            return Invalid($"{text}: a local address is a literal or * ({host} is not)", out why);
        if (!HostName.IsWellFormed(host))
            return Invalid($"{text}: {host} is no host", out why);
        address = new HostControlAddress(host, port);
        why = "";
        return 0;
    }

    /// <summary>@NAME (abstract, 1 to 107 bytes) or an absolute path (for connect).</summary>
    private static Errno TryParseUnix(string text, out ControlAddress? address, out string why)
    {
        address = null;
        if (text.StartsWith('@'))
        {
            string name = text[1..];
            int bytes = Encoding.UTF8.GetByteCount(name);
            if (bytes is 0 or > MaxAbstractName || name.Contains('\0'))
                return Invalid($"{text}: an abstract name is 1 to {MaxAbstractName} bytes", out why);
            address = new AbstractControlAddress(name);
            why = "";
            return 0;
        }
        if (text.StartsWith('/') && !text.Contains('\0'))
        {
            address = new PathControlAddress(text);
            why = "";
            return 0;
        }
        return Invalid($"{text}: a unix address is @NAME or an absolute path", out why);
    }

    private static Errno Invalid(string reason, out string why)
    {
        why = reason;
        return Errno.EINVAL;
    }

    public override string ToString() => Verb switch
    {
        ControlVerb.Shutdown => How switch { Libc.SHUT_RD => "shutdown rd", Libc.SHUT_RDWR => "shutdown rdwr", _ => "shutdown wr" },
        _ => Address is null ? Verb.ToString().ToLowerInvariant() : $"{Verb.ToString().ToLowerInvariant()} {Address}",
    };
}
