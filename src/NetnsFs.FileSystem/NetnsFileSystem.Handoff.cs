using Mono.Unix.Native;
using NetnsFs.FileSystem.Handoff;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Net;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem;

/// <summary>The same grammar, the second front end: a path asked for over the handoff socket is
/// resolved exactly as an open of that path would be (<see cref="ResolveRecipe"/>), and the socket
/// it names is made by the same <see cref="Service.SocketService"/>.</summary>
public sealed partial class NetnsFileSystem
{
    /// <summary>Walks <paramref name="path"/> from the root without adding nodes to the kernel's
    /// view; the socket recipe of the file it names, or the errno an open would get.</summary>
    public Errno ResolveRecipe(NamespaceView view, string path, out SocketRecipe? recipe)
    {
        recipe = null;
        var parts = path.Split('/');
        Node current = view.Root;
        foreach (var part in parts)
        {
            if (current is not DirectoryNode dir)
                return Errno.ENOTDIR;
            if (part.Length == 0 || part is "." or "..")
                return Errno.ENOENT;
            var bytes = System.Text.Encoding.UTF8.GetBytes(part);
            var next = _nodes.FindChild(dir, part);
            if (next is null)
            {
                var e = _grammar.Resolve(dir, bytes, out var make);
                if (e != 0)
                    return e;
                next = make!();
            }
            current = next;
        }
        if (current is not SocketFileNode file)
            return current is DirectoryNode ? Errno.EISDIR : Errno.EINVAL;
        recipe = file.Recipe;
        return 0;
    }

    /// <summary>Where a namespace's handoff socket is bound.</summary>
    private string HandoffPath(NamespaceView view) =>
        Path.Combine(_settings.RunDirectory!, view.Name.Length == 0 ? NetnsFs.Client.HandoffWire.LinkName : view.Name + "." + NetnsFs.Client.HandoffWire.LinkName);

    /// <summary>Binds a namespace's handoff socket when its symlink is first looked up.</summary>
    private void StartHandoff(NamespaceView view)
    {
        try
        {
            view.EnsureHandoff(() => new HandoffServer(HandoffPath(view), _sockets, ResolveRecipe, view, _layout, _settings.Policy, _engine, _settings.Log,
                new HandoffConnection.Settings(Limits, _settings.HandoffIdle)));
        }
        catch (Exception e) when (e is NetException or IOException or ObjectDisposedException)
        {
            _log.Warning("handoff socket for {View}: {Message}", view.Name, e.Message);
        }
    }
}
