using System.Globalization;
using NetnsFs.FileSystem.Files;
using NetnsFs.FileSystem.Limits;

namespace NetnsFs.FileSystem.Mount;

/// <summary>The text of the `status` files: a namespace's (NAME/status, or the root's of a single
/// mount) and a multi mount's own (DIR/status). Counts come from the tables' indexes, not from a
/// walk of the open files.</summary>
public sealed class MountStatus(OpenFileTable files, NamespaceRegistry namespaces, WriteBehindLedger writeBehind, MountLimits limits, Func<int> deferredRequests, Func<string> mountInfo)
{
    public string Of(NamespaceView view) => string.Join('\n',
        (view.Name.Length > 0 ? $"name={view.Name}\n" : "") +
        Line("netns_inode", view.Namespace.Inode),
        $"origin={view.Namespace.Origin}",
        Line("sockets", files.SocketCountOf(view)),
        Line("listeners", view.Listeners.Count),
        MountWide) + "\n";

    public string OfMultiMount() => string.Join('\n',
        "mode=multi",
        Line("namespaces", namespaces.Count),
        Line("spare_namespaces", namespaces.SpareCount),
        Line("sockets", files.SocketCount),
        Line("listeners", namespaces.ListenerCount),
        MountWide) + "\n";

    /// <summary>Mount-wide: answered writes not yet taken by their sockets, closed sockets still
    /// sending, FUSE requests to be answered later (reads and writes waiting for their socket, opens
    /// waiting for a connect or an accept: what a test waits on instead of sleeping), the limits,
    /// and the mount's own lines.</summary>
    private string MountWide => string.Join('\n',
        Line("held_writes", writeBehind.HeldWrites),
        Line("lingering_sockets", writeBehind.LingeringSockets),
        Line("deferred_requests", deferredRequests()),
        limits.Status,
        mountInfo());

    private static string Line<T>(string name, T value) where T : IFormattable =>
        name + "=" + value.ToString(null, CultureInfo.InvariantCulture);
}
