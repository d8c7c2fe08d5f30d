using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Paths;

/// <summary>How a transport's paths name a peer.</summary>
public enum AddressForm
{
    /// <summary>NAME/HOST/PORT to dial, NAME/listen/PORT and NAME/listen/ADDR/PORT to listen; the
    /// family (IPv4 or IPv6) follows the address.</summary>
    HostAndPort,

    /// <summary>NAME/@ABSTRACT to dial, NAME/listen/@ABSTRACT to listen: an abstract unix socket
    /// of the namespace.</summary>
    AbstractName,
}

/// <summary>One row of <see cref="TransportTable"/>: a directory at the root of each namespace
/// (<paramref name="Name"/>/), the socket type and protocol its paths make, whether it has a
/// listen/ directory, and how its paths name a peer.</summary>
public sealed record Transport(string Name, int Type, int Protocol, bool CanListen, AddressForm Address)
{
    /// <summary>The socket a path of this transport makes to reach or bind <paramref name="family"/>
    /// addresses (0 for a dial whose HOST is resolved at open: the family then follows the address).</summary>
    public SocketKind KindFor(int family) => new(family, Type, Protocol);

    /// <summary>The family before any address is known: AF_UNIX for abstract names, 0 (the
    /// address decides) for hosts.</summary>
    public int DialFamily => Address == AddressForm.AbstractName ? SocketKind.AF_UNIX : 0;

    public override string ToString() => Name;
}

/// <summary>Every transport a mount offers, one row each. A new dial-and-listen transport is one
/// row here: the grammar, the fixed tree of each namespace, `ls`, `rm` of its listeners and the
/// fuzz target all read this table.</summary>
public static class TransportTable
{
    public static readonly Transport Tcp = new("tcp", SocketKind.SOCK_STREAM, SocketKind.IPPROTO_TCP, CanListen: true, AddressForm.HostAndPort);
    public static readonly Transport Udp = new("udp", SocketKind.SOCK_DGRAM, SocketKind.IPPROTO_UDP, CanListen: false, AddressForm.HostAndPort);
    public static readonly Transport Unix = new("unix", SocketKind.SOCK_STREAM, 0, CanListen: true, AddressForm.AbstractName);
    public static readonly Transport Mptcp = new("mptcp", SocketKind.SOCK_STREAM, SocketKind.IPPROTO_MPTCP, CanListen: true, AddressForm.HostAndPort);

    /// <summary>The rows, in the order `ls` shows their directories.</summary>
    public static readonly IReadOnlyList<Transport> Rows = [Tcp, Udp, Unix, Mptcp];

    /// <summary>The row named <paramref name="name"/>, or null.</summary>
    public static Transport? Find(ReadOnlySpan<char> name)
    {
        foreach (var row in Rows)
        {
            if (name.SequenceEqual(row.Name))
                return row;
        }
        return null;
    }
}
