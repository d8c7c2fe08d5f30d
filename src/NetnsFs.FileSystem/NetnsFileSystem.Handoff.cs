using NetnsFs.FileSystem.Handoff;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Interop;
using NetnsFs.Net;

namespace NetnsFs.FileSystem;

/// <summary>The same grammar, the second front end: a path asked for over the handoff socket is
/// resolved exactly as an open of that path would be (<see cref="ResolveRecipe"/>), and the socket
/// it names is made by the same <see cref="Service.SocketService"/>.</summary>
public sealed partial class NetnsFileSystem
{
    /// <summary>Walks <paramref name="path"/> from the namespace's root through the grammar's
    /// meanings, making no node; the socket recipe of the file it names, or the errno an open would get.</summary>
    public Errno ResolveRecipe(NamespaceView view, string path, out SocketRecipe? recipe)
    {
        recipe = null;
        PathMeaning current = view.Root.Meaning;
        foreach (var part in path.Split('/'))
        {
            if (current is not DirectoryMeaning dir)
                return Errno.ENOTDIR;
            if (part.Length == 0 || part is "." or "..")
                return Errno.ENOENT;
            var e = _grammar.Resolve(dir, part, out var next);
            if (e == 0 && next is ConnectionDirectory c && !Exists(c.Handle))
                e = Errno.ENOENT;
            if (e != 0)
                return e;
            current = next!;
        }
        if (current is not SocketRecipe found)
            return current is DirectoryMeaning ? Errno.EISDIR : Errno.EINVAL;
        recipe = found;
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
