using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Paths;

/// <summary>What opening a socket file does: make an unconnected socket (a seed triple), or make one
/// and connect it to an address (dial by path).</summary>
public abstract record SocketRecipe(SocketKind Kind);

/// <summary>"inet;stream;tcp": a fresh socket of that kind, nothing more.</summary>
public sealed record TripleRecipe(SocketKind Kind) : SocketRecipe(Kind);

/// <summary>"tcp/HOST/PORT", "udp/HOST/PORT", "unix/@NAME": a socket connected to the target.</summary>
public sealed record DialRecipe(SocketKind Kind, SockAddr Target, string Display) : SocketRecipe(Kind)
{
    /// <summary>For tcp/udp: the HOST text, resolved at open (the family follows the address).</summary>
    public string? Host { get; init; }

    public int Port { get; init; }
}

/// <summary>"tcp/listen/PORT", "tcp/listen/ADDR/PORT", "unix/listen/@NAME": accept one connection
/// from the listener <paramref name="Key"/>, made (bound to <paramref name="Bind"/>) on first use.</summary>
public sealed record ListenRecipe(SocketKind Kind, SockAddr Bind, string Key, bool DualStack) : SocketRecipe(Kind);
