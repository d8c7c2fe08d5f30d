namespace NetnsFs.FileSystem.Paths;

/// <summary>What a name in the mount means, as <see cref="PathGrammar"/> answers it: a directory
/// (of a <see cref="DirectoryRole"/>), a socket file (a <see cref="SocketRecipe"/>: triple, dial
/// or listen), a file of conn/N/ or net/, or a fixed file of the namespace. A closed set: the
/// filesystem makes a node of each (<see cref="Nodes.NodeFactory"/>) and the handoff reads the
/// recipe of a path without any node.</summary>
public abstract record PathMeaning
{
    private protected PathMeaning()
    {
    }

    /// <summary>Part of the fixed tree of every namespace (tcp/, tcp/listen/, conn/, net/, ns,
    /// status, handoff): made with the namespace, never by a lookup.</summary>
    public virtual bool IsFixed => false;
}

/// <summary>The roles a directory plays in the path grammar.</summary>
public enum DirectoryRole
{
    /// <summary>A namespace's directory: the mount root of a single mount, DIR/NAME of a multi one.</summary>
    Root,
    /// <summary>The root of a multi mount: one directory per namespace.</summary>
    MultiRoot,
    /// <summary>tcp/, udp/, mptcp/: children are HOSTs (and listen/).</summary>
    Transport,
    /// <summary>tcp/HOST/: children are PORTs.</summary>
    Host,
    /// <summary>unix/: children are @NAMEs (and listen/).</summary>
    Unix,
    /// <summary>tcp/listen/: children are PORTs (all addresses) and ADDR directories.</summary>
    Listen,
    /// <summary>tcp/listen/ADDR/: children are PORTs on that address.</summary>
    ListenAddress,
    /// <summary>unix/listen/: children are @NAMEs.</summary>
    UnixListen,
    /// <summary>conn/: one directory per open socket file.</summary>
    Connections,
    /// <summary>conn/N/: local, remote, state, path, owner, ctl of one open socket.</summary>
    Connection,
    /// <summary>net/: the namespace's /proc/net tables.</summary>
    ProcNet,
}

/// <summary>A directory, and what its role needs to know to read the names inside it.</summary>
public abstract record DirectoryMeaning : PathMeaning
{
    private protected DirectoryMeaning()
    {
    }

    public abstract DirectoryRole Role { get; }
}

/// <summary>A namespace's directory.</summary>
public sealed record NamespaceDirectory : DirectoryMeaning
{
    public static readonly NamespaceDirectory Instance = new();

    public override DirectoryRole Role => DirectoryRole.Root;

    public override bool IsFixed => true;
}

/// <summary>The root of a multi mount.</summary>
public sealed record MultiRootDirectory : DirectoryMeaning
{
    public static readonly MultiRootDirectory Instance = new();

    public override DirectoryRole Role => DirectoryRole.MultiRoot;

    public override bool IsFixed => true;
}

/// <summary>tcp/, udp/, mptcp/, unix/: the directory of one row of <see cref="TransportTable"/>.</summary>
public sealed record TransportDirectory(Transport Transport) : DirectoryMeaning
{
    public override DirectoryRole Role => Transport.Address == AddressForm.AbstractName ? DirectoryRole.Unix : DirectoryRole.Transport;

    public override bool IsFixed => true;
}

/// <summary>tcp/HOST/.</summary>
public sealed record HostDirectory(Transport Transport, string Host) : DirectoryMeaning
{
    public override DirectoryRole Role => DirectoryRole.Host;
}

/// <summary>tcp/listen/, unix/listen/.</summary>
public sealed record ListenDirectory(Transport Transport) : DirectoryMeaning
{
    public override DirectoryRole Role => Transport.Address == AddressForm.AbstractName ? DirectoryRole.UnixListen : DirectoryRole.Listen;

    public override bool IsFixed => true;
}

/// <summary>tcp/listen/ADDR/.</summary>
public sealed record ListenAddressDirectory(Transport Transport, string Address) : DirectoryMeaning
{
    public override DirectoryRole Role => DirectoryRole.ListenAddress;
}

/// <summary>conn/.</summary>
public sealed record ConnectionsDirectory : DirectoryMeaning
{
    public static readonly ConnectionsDirectory Instance = new();

    public override DirectoryRole Role => DirectoryRole.Connections;

    public override bool IsFixed => true;
}

/// <summary>conn/N/: the open socket file of handle <paramref name="Handle"/>. The grammar knows
/// only the shape of N; whether that socket is open is the filesystem's to check.</summary>
public sealed record ConnectionDirectory(ulong Handle) : DirectoryMeaning
{
    public override DirectoryRole Role => DirectoryRole.Connection;
}

/// <summary>net/.</summary>
public sealed record ProcNetDirectory : DirectoryMeaning
{
    public static readonly ProcNetDirectory Instance = new();

    public override DirectoryRole Role => DirectoryRole.ProcNet;

    public override bool IsFixed => true;
}

/// <summary>conn/N/FILE: local, remote, state, path, owner (read) or ctl (written).</summary>
public sealed record ConnectionFile(ulong Handle, string File) : PathMeaning
{
    public bool IsControl => File == PathGrammar.ControlFile;
}

/// <summary>net/TABLE: a /proc/net table of the namespace.</summary>
public sealed record ProcNetFile(string File) : PathMeaning;

/// <summary>The fixed files of a namespace's directory (and status at a multi mount's root).</summary>
public enum FixedFileKind
{
    /// <summary>status: key=value lines.</summary>
    Status,
    /// <summary>ns: a symlink to the namespace.</summary>
    NamespaceLink,
    /// <summary>handoff: a symlink to the handoff socket.</summary>
    HandoffLink,
}

/// <summary>status, ns, handoff.</summary>
public sealed record FixedFile(FixedFileKind Kind) : PathMeaning
{
    public override bool IsFixed => true;
}
