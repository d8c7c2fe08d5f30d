using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Paths;

/// <summary>What opening a socket file does: make an unconnected socket (a socket-triple file),
/// make one and connect it (a dial path), or accept from a listener (a listen path).</summary>
public abstract record SocketRecipe(SocketKind Kind) : PathMeaning;

/// <summary>"inet;stream;tcp": a fresh socket of that kind, nothing more.</summary>
public sealed record TripleRecipe(SocketKind Kind) : SocketRecipe(Kind);

/// <summary>A socket connected to a target; <paramref name="Display"/> is the path as conn/N/path
/// and the logs show it.</summary>
public abstract record DialRecipe(SocketKind Kind, string Display) : SocketRecipe(Kind);

/// <summary>"tcp/HOST/PORT", "udp/HOST/PORT", "mptcp/HOST/PORT": HOST is resolved at open (a
/// literal at once, a name inside the namespace); the family of <paramref name="Kind"/> is 0
/// until then, and follows the address.</summary>
public sealed record HostDialRecipe(SocketKind Kind, string Host, int Port, string Display) : DialRecipe(Kind, Display)
{
    /// <summary>HOST is a name, not a literal: the open reads the namespace's hosts file and may
    /// ask its nameservers before it connects.</summary>
    public bool NeedsLookup => HostName.TryResolve(Host, out _) != 0;
}

/// <summary>"unix/@NAME": a socket connected to an address known from the path alone.</summary>
public sealed record AddressDialRecipe(SocketKind Kind, SockAddr Target, string Display) : DialRecipe(Kind, Display);

/// <summary>"tcp/listen/PORT", "tcp/listen/ADDR/PORT", "unix/listen/@NAME": accept one connection
/// from the listener <paramref name="Key"/>, made (bound to <paramref name="Bind"/>) on first use.
/// <paramref name="DualStack"/>: all addresses, one IPv6 socket that takes IPv4 too.</summary>
public sealed record ListenRecipe(SocketKind Kind, SockAddr Bind, ListenerKey Key, bool DualStack) : SocketRecipe(Kind);
