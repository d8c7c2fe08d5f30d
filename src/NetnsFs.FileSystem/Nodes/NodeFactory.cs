using NetnsFs.FileSystem.Paths;
using NetnsFs.Interop;
using NetnsFs.Net.Identity;

namespace NetnsFs.FileSystem.Nodes;

/// <summary>What the nodes of conn/N/, net/ and the fixed files show that only the filesystem knows.</summary>
public interface INodeContent
{
    /// <summary>The text of conn/N/FILE ("" once the socket is gone).</summary>
    string Describe(ulong handle, string file);

    /// <summary>Applies a command written to conn/N/ctl.</summary>
    Errno Control(ulong handle, string command);

    /// <summary>A /proc/net table of the namespace, read as <paramref name="caller"/>.</summary>
    string ReadProcNet(NamespaceView view, string file, Caller caller);

    /// <summary>The status text of a namespace, or of a multi mount (<paramref name="view"/> null).</summary>
    string Status(NamespaceView? view);

    /// <summary>Where ns or handoff of <paramref name="view"/> points.</summary>
    string LinkTarget(NamespaceView view, FixedFileKind link);
}

/// <summary>The filesystem's half of a lookup: the node a meaning is, with the mount's permission
/// bits. <see cref="ModeOf"/> is what `ls` shows of a name no lookup has made yet, and always the
/// mode of the node <see cref="Make"/> would make of it.</summary>
public sealed class NodeFactory(MountLayout layout, INodeContent content)
{
    public uint ModeOf(PathMeaning meaning) => meaning switch
    {
        DirectoryMeaning => Node.S_IFDIR | layout.DirPermissions,
        SocketRecipe => Node.S_IFREG | layout.FilePermissions,
        ConnectionFile { IsControl: true } => Node.S_IFREG | (layout.FilePermissions & ModeBits.Control),
        ConnectionFile or ProcNetFile => Node.S_IFREG | (layout.FilePermissions & ModeBits.ReadOnly),
        FixedFile { Kind: FixedFileKind.Status } => Node.S_IFREG | ModeBits.ReadOnly,
        FixedFile => Node.S_IFLNK | ModeBits.All,
        _ => throw new ArgumentOutOfRangeException(nameof(meaning), meaning, "not a meaning of the grammar"),
    };

    /// <summary>The node <paramref name="name"/> in <paramref name="parent"/> is; fixed meanings
    /// make pinned nodes.</summary>
    public Node Make(string name, DirectoryNode parent, PathMeaning meaning)
    {
        uint permissions = ModeOf(meaning) & ~Node.S_IFMT;
        return meaning switch
        {
            DirectoryMeaning d => new DirectoryNode(name, parent, d, permissions) { IsPinned = d.IsFixed },
            SocketRecipe r => new SocketFileNode(name, parent, r, permissions),
            ConnectionFile { IsControl: true } c => new TextFileNode(name, parent, _ => "", permissions) { Control = command => content.Control(c.Handle, command) },
            ConnectionFile c => new TextFileNode(name, parent, _ => content.Describe(c.Handle, c.File), permissions),
            ProcNetFile p => new TextFileNode(name, parent, caller => content.ReadProcNet(parent.View!, p.File, caller), permissions),
            FixedFile { Kind: FixedFileKind.Status } => new TextFileNode(name, parent, _ => content.Status(parent.View), permissions) { IsPinned = true },
            FixedFile f => new SymlinkNode(name, parent, content.LinkTarget(parent.View!, f.Kind)) { IsPinned = true },
            _ => throw new ArgumentOutOfRangeException(nameof(meaning), meaning, "not a meaning of the grammar"),
        };
    }
}
