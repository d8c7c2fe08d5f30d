using System.Collections.Concurrent;
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

    public Listener? Find(string key) => _byKey.GetValueOrDefault(key);

    /// <summary>The listener for <paramref name="key"/>, made with <paramref name="open"/> (socket,
    /// bind, listen) if there is none. Port 0 gets a new listener each time, filed under its real port.</summary>
    public Listener GetOrCreate(string key, Func<NetSocket> open, Func<NetSocket, string> keyOfBound)
    {
        if (_byKey.TryGetValue(key, out var existing))
            return existing;
        lock (_createLock)
        {
            if (_byKey.TryGetValue(key, out existing))
                return existing;
            var socket = open();
            string realKey = keyOfBound(socket);
            var listener = new Listener(realKey[(realKey.LastIndexOf('/') + 1)..], socket, engine);
            _byKey[realKey] = listener;
            return listener;
        }
    }

    public bool Remove(string key)
    {
        if (!_byKey.TryRemove(key, out var l))
            return false;
        l.Close();
        return true;
    }

    public void CloseAll()
    {
        foreach (var key in _byKey.Keys.ToList())
            Remove(key);
    }
}
