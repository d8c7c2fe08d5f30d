using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Abi;
using NetnsFs.Net.Identity;

namespace NetnsFs.FileSystem.Nodes;

/// <summary>An inode the kernel knows. Nodes are made on LOOKUP from what the path grammar says
/// a name means (<see cref="NodeFactory"/>) and dropped when the kernel forgets them, except the
/// fixed ones.</summary>
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

    /// <summary>Fixed nodes (the roots, the fixed tree of a namespace) stay even with no lookups.</summary>
    public bool IsPinned { get; init; }

    public bool Pinned => IsPinned;

    /// <summary>S_IF* type bits and permission bits.</summary>
    public abstract uint Mode { get; }

    /// <summary>st_size to report.</summary>
    public virtual ulong Size => 0;

    /// <summary>The file-type bits of a mode.</summary>
    public const uint S_IFMT = NetnsFs.Interop.Libc.S_IFMT;
    public const uint S_IFDIR = NetnsFs.Interop.Libc.S_IFDIR;
    public const uint S_IFREG = NetnsFs.Interop.Libc.S_IFREG;
    public const uint S_IFLNK = NetnsFs.Interop.Libc.S_IFLNK;
}

/// <summary>A directory; <see cref="Meaning"/> is what the grammar reads names inside it by.</summary>
public sealed class DirectoryNode(string name, Node? parent, DirectoryMeaning meaning, uint permissions) : Node(name, parent)
{
    public DirectoryMeaning Meaning { get; } = meaning;

    public DirectoryRole Role => Meaning.Role;

    /// <summary>For the Connection role: the open handle it shows.</summary>
    public ulong Handle => Meaning is ConnectionDirectory c ? c.Handle : 0;

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

/// <summary>A symbolic link (DIR/ns to the daemon's namespace fd, DIR/handoff to its socket).</summary>
public sealed class SymlinkNode(string name, Node parent, string target) : Node(name, parent)
{
    public string Target { get; } = target;

    public override uint Mode => S_IFLNK | ModeBits.All;

    public override ulong Size => (ulong)System.Text.Encoding.UTF8.GetByteCount(Target);
}

/// <summary>A small file whose text is made at each open, for the caller who opens it (status,
/// net/*, conn/N/*; net/ tables are read with the caller's credentials). With a
/// <see cref="Control"/> handler it also takes commands written to it (conn/N/ctl).</summary>
public sealed class TextFileNode(string name, Node parent, Func<Caller, string> content, uint permissions) : Node(name, parent)
{
    public Func<Caller, string> Content { get; } = content;

    /// <summary>Applies one written command; returns 0 or the errno for the write.</summary>
    public Func<string, NetnsFs.Interop.Errno>? Control { get; init; }

    public override uint Mode => S_IFREG | permissions;

    public override ulong Size => 0;
}
