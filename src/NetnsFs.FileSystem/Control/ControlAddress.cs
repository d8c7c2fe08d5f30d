using System.Net;
using System.Net.Sockets;
using System.Text;
using NetnsFs.Interop;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Control;

/// <summary>The ADDR of a ctl verb (connect, bind, announce) as written, before it meets a socket:
/// an IP literal and a port, a name and a port, an abstract unix name, or a unix path.</summary>
public abstract record ControlAddress
{
    /// <summary>The sockaddr for a socket of <paramref name="family"/>: 0, or EAFNOSUPPORT when the
    /// address is of another family (as connect(2) and bind(2) answer), EINVAL when it is no
    /// address at all for that socket (a name, which must be looked up first, or a unix path).</summary>
    public abstract Errno TryToSockAddr(int family, out SockAddr address);
}

/// <summary>"127.0.0.1!80", "[::1]!80", "*!8080", "8080": an IP literal, or any address
/// (<paramref name="Address"/> null), and a port (0: any, for bind and announce).</summary>
public sealed record IpControlAddress(IPAddress? Address, int Port) : ControlAddress
{
    /// <summary>An IPv4 address on an IPv6 socket is its v4-mapped form (::ffff:a.b.c.d), which a
    /// dual-stack socket reaches IPv4 with; an IPv6 one on an IPv4 socket is EAFNOSUPPORT.</summary>
    public override Errno TryToSockAddr(int family, out SockAddr address)
    {
        address = default;
        IPAddress ip;
        switch (family)
        {
            case SocketKind.AF_INET:
                ip = Address ?? IPAddress.Any;
                if (ip.IsIPv4MappedToIPv6)
                    ip = ip.MapToIPv4();
                if (ip.AddressFamily != AddressFamily.InterNetwork)
                    return Errno.EAFNOSUPPORT;
                break;
            case SocketKind.AF_INET6:
                ip = Address ?? IPAddress.IPv6Any;
                if (ip.AddressFamily == AddressFamily.InterNetwork)
                    ip = ip.MapToIPv6();
                break;
            default:
                return Errno.EAFNOSUPPORT;
        }
        address = SockAddr.FromIp(ip, Port);
        return 0;
    }

    public override string ToString() => $"{(Address is null ? "*" : Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address.ToString())}!{Port}";
}

/// <summary>"db.internal!5432": a name to look up inside the namespace before the connect.</summary>
public sealed record HostControlAddress(string Host, int Port) : ControlAddress
{
    public override Errno TryToSockAddr(int family, out SockAddr address)
    {
        address = default;
        return Errno.EINVAL;
    }

    public override string ToString() => $"{Host}!{Port}";
}

/// <summary>"@name": an abstract unix address, in the namespace's own abstract space (as unix/@NAME).</summary>
public sealed record AbstractControlAddress(string Name) : ControlAddress
{
    public override Errno TryToSockAddr(int family, out SockAddr address)
    {
        address = default;
        if (family != SocketKind.AF_UNIX)
            return Errno.EAFNOSUPPORT;
        address = SockAddr.AbstractUnix(Encoding.UTF8.GetBytes(Name));
        return 0;
    }

    public override string ToString() => "@" + Name;
}

/// <summary>"/run/app.sock": a unix socket by path, resolved in the writer's own root and mount
/// namespace (never the daemon's), so it has no sockaddr of its own.</summary>
public sealed record PathControlAddress(string Path) : ControlAddress
{
    public override Errno TryToSockAddr(int family, out SockAddr address)
    {
        address = default;
        return family == SocketKind.AF_UNIX ? Errno.EINVAL : Errno.EAFNOSUPPORT;
    }

    public override string ToString() => Path;
}
