using NetnsFs.Net.Identity;
using Mono.Unix.Native;
using NetnsFs.FileSystem.Handoff;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Net;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem;

/// <summary>The same grammar, the second transport: a path asked for over the handoff socket is
/// resolved exactly as an open of that path would be, and the socket it names is made the same way.</summary>
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

    /// <summary>Makes the socket <paramref name="path"/> names for a handoff caller. A listen path
    /// gives the caller a listening socket of its own (bound now, blocking, not shared with the
    /// mount's listener of the same port, which then must not exist: EADDRINUSE).</summary>
    public IDisposable? MakeForHandoff(NamespaceView view, string path, Caller caller, Action<Errno, NetSocket?, string> done)
    {
        if (view.Removed)
        {
            done(Errno.ENOENT, null, "the namespace was removed");
            return null;
        }
        var e = ResolveRecipe(view, path, out var recipe);
        if (e != 0)
        {
            _log.Debug("handoff {Path} for pid {Pid} uid {Uid}: {Errno}", path, caller.Pid, caller.Uid, e);
            done(e, null, $"{path}: {e}");
            return null;
        }
        var denied = CheckPrivileges(view, recipe!, caller, path);
        if (denied != 0)
        {
            done(denied, null, $"{path}: {denied}");
            return null;
        }
        if (recipe is ListenRecipe l)
        {
            try
            {
                var listener = Listen(view, l, caller);
                done(0, listener, $"listening on {listener.LocalAddress()}");
            }
            catch (NetException ex)
            {
                done(ex.Errno, null, ex.Message);
            }
            return null;
        }
        return view.Maker.Make(recipe!, caller, waitForConnect: true, made =>
        {
            if (made.Socket is null)
                done(made.Error, null, $"{path}: {made.Error}");
            else
                done(0, made.Socket, path);
        });
    }

    /// <summary>Where a namespace's handoff socket is bound.</summary>
    private string HandoffPath(NamespaceView view) =>
        Path.Combine(_settings.RunDirectory!, view.Name.Length == 0 ? NetnsFs.Client.HandoffWire.LinkName : view.Name + "." + NetnsFs.Client.HandoffWire.LinkName);

    /// <summary>Binds a namespace's handoff socket when its symlink is first looked up.</summary>
    private void StartHandoff(NamespaceView view)
    {
        try
        {
            view.EnsureHandoff(() => new HandoffServer(HandoffPath(view), this, view, _layout, _settings.Policy, _engine, _settings.Log,
                new HandoffConnection.Settings(Limits, _settings.HandoffIdle)));
        }
        catch (Exception e) when (e is NetException or IOException or ObjectDisposedException)
        {
            _log.Warning("handoff socket for {View}: {Message}", view.Name, e.Message);
        }
    }
}
