using System.Collections.Concurrent;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Readiness;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Files;

/// <summary>The live listeners of a mount by key ("tcp/*/8080", "tcp/127.0.0.1/8080",
/// "unix/@name"). A listener is made by the first open of its path and kept until removed.</summary>
public sealed class ListenerRegistry(ReadinessEngine engine)
{
    private readonly ConcurrentDictionary<string, Listener> _byKey = new();
    private readonly Lock _createLock = new();

    public int Count => _byKey.Count;

    public IEnumerable<(string Key, Listener Listener)> All => _byKey.Select(kv => (kv.Key, kv.Value));

    /// <summary>The listener for <paramref name="key"/>, made with <paramref name="open"/> (socket,
    /// bind, listen) and owned by <paramref name="uid"/> if there is none. Port 0 gets a new listener
    /// each time, filed under its real port. Another uid's listener (root excepted) is refused with
    /// EADDRINUSE, as bind(2) of the same address would be: a user never accepts another's clients.</summary>
    public Listener GetOrCreate(string key, uint uid, Func<NetSocket> open, Func<NetSocket, string> keyOfBound)
    {
        if (_byKey.TryGetValue(key, out var existing))
            return Usable(existing, key, uid);
        lock (_createLock)
        {
            if (_byKey.TryGetValue(key, out existing))
                return Usable(existing, key, uid);
            var socket = open();
            string realKey = keyOfBound(socket);
            var listener = new Listener(socket, engine, uid);
            _byKey[realKey] = listener;
            return listener;
        }
    }

    private static Listener Usable(Listener l, string key, uint uid) =>
        l.IsUsableBy(uid) ? l : throw new NetException(Errno.EADDRINUSE, $"{key} is uid {l.Owner}'s listener");

    /// <summary>Outcome of <see cref="Remove"/>.</summary>
    public enum Removal
    {
        Removed,
        NotFound,
        NotOwner,
    }

    /// <summary>Closes the listener at <paramref name="key"/> for <paramref name="uid"/> (`rm`): its
    /// owner and root may; another uid leaves it alone (<see cref="Removal.NotOwner"/>: EPERM).</summary>
    public Removal Remove(string key, uint uid)
    {
        if (!_byKey.TryGetValue(key, out var l))
            return Removal.NotFound;
        if (!l.IsUsableBy(uid))
            return Removal.NotOwner;
        // Only the listener we checked: one made in its place meanwhile is not ours to close.
        if (!_byKey.TryRemove(new KeyValuePair<string, Listener>(key, l)))
            return Removal.NotFound;
        l.Close();
        return Removal.Removed;
    }

    /// <summary>rmdir or unmount: every listener closed.</summary>
    public void CloseAll()
    {
        foreach (var key in _byKey.Keys)
        {
            if (_byKey.TryRemove(key, out var l))
                l.Close();
        }
    }
}
