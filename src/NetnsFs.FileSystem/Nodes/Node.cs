using NetnsFs.Net.Identity;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Abi;

namespace NetnsFs.FileSystem.Nodes;

/// <summary>An inode the kernel knows. Nodes are made on LOOKUP (the path grammar decides what a
/// name means) and dropped when the kernel forgets them, except the fixed ones.</summary>
public abstract class Node(string name, Node? parent)
{
    public NodeId Id { get; internal set; }
    public string Name { get; } = name;
    public Node? Parent { get; } = parent;

    /// <summary>The namespace this node belongs to (inherited from its parent; null for the root of
    /// a multi mount, which belongs to none).</summary>
    public NamespaceView? View { get; internal set; } = parent?.View;

    /// <summary>LOOKUP replies not yet matched by FORGET.</summary>
    internal ulong Lookups { get; set; }

    /// <summary>Fixed nodes (the root, the top directories) stay even with no lookups.</summary>
    public virtual bool Pinned => false;

    /// <summary>S_IF* type bits and permission bits.</summary>
    public abstract uint Mode { get; }

    /// <summary>st_size to report.</summary>
    public virtual ulong Size => 0;

    public const uint S_IFDIR = 0x4000;
    public const uint S_IFREG = 0x8000;
    public const uint S_IFLNK = 0xA000;
}

/// <summary>The roles a directory plays in the path grammar.</summary>
public enum DirectoryRole
{
    /// <summary>A namespace's directory: the mount root of a single mount, DIR/NAME of a multi one.</summary>
    Root,
    /// <summary>The root of a multi mount: one directory per namespace.</summary>
    MultiRoot,
    /// <summary>tcp/ or udp/: children are HOSTs.</summary>
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
    /// <summary>conn/N/: local, remote, state, path, ctl of one open socket.</summary>
    Connection,
    /// <summary>net/: the namespace's /proc/net tables.</summary>
    ProcNet,
}

public sealed class DirectoryNode(string name, Node? parent, DirectoryRole role, uint permissions) : Node(name, parent)
{
    public DirectoryRole Role { get; } = role;

    /// <summary>For Transport and Host roles: "tcp" or "udp".</summary>
    public string? Transport { get; init; }

    /// <summary>For the Host and ListenAddress roles: the HOST/ADDR text.</summary>
    public string? Host { get; init; }

    /// <summary>For the Connection role: the open handle it shows.</summary>
    public ulong Handle { get; init; }

    public bool IsPinned { get; init; }

    public override bool Pinned => IsPinned;

    public override uint Mode => S_IFDIR | permissions;
}

/// <summary>A name that opens as a socket. Regular-file type, since the kernel refuses open(2) on
/// S_IFSOCK; its st_size is huge so that parallel direct writes never count as past EOF.</summary>
public sealed class SocketFileNode(string name, Node parent, SocketRecipe recipe, uint permissions) : Node(name, parent)
{
    public const ulong StreamSize = 1UL << 40;

    public SocketRecipe Recipe { get; } = recipe;

    public override uint Mode => S_IFREG | permissions;

    public override ulong Size => StreamSize;
}

/// <summary>A symbolic link (DIR/ns to the daemon's namespace fd).</summary>
public sealed class SymlinkNode(string name, Node parent, string target) : Node(name, parent)
{
    public string Target { get; } = target;

    public override uint Mode => S_IFLNK | 0x1FF;

    public override ulong Size => (ulong)System.Text.Encoding.UTF8.GetByteCount(Target);
}

/// <summary>A small file whose text is made at each open (status, net/*, conn/N/*). With a
/// <see cref="Control"/> handler it also takes commands written to it (conn/N/ctl).</summary>
/// <summary>A file whose text is made at each open, for the caller who opens it (net/ tables are
/// read with the caller's credentials).</summary>
public sealed class TextFileNode(string name, Node parent, Func<Caller, string> content, uint permissions) : Node(name, parent)
{
    public Func<Caller, string> Content { get; } = content;

    /// <summary>Applies one written command; returns 0 or the errno for the write.</summary>
    public Func<string, Mono.Unix.Native.Errno>? Control { get; init; }

    public override uint Mode => S_IFREG | permissions;

    public override ulong Size => 0;
}
