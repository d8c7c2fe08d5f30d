namespace NetnsFs.FileSystem.Mount;

/// <summary>The open sockets of a mount grouped by the namespace they were made in: their handles
/// and the process that opened each, so that conn/, conn/self and a namespace's status read their
/// own namespace's sockets, not every open file of a mount of a thousand namespaces. Keyed by
/// reference (a namespace removed and made again under its name is another namespace); a
/// namespace's entry goes with its last socket. Generic in the key so that it is tested without one.</summary>
public sealed class SocketsByNamespace<TNamespace> where TNamespace : class
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TNamespace, SortedDictionary<ulong, uint>> _byNamespace = new(ReferenceEqualityComparer.Instance);
    private int _count;

    /// <summary>Open sockets of all namespaces.</summary>
    public int Count => Volatile.Read(ref _count);

    public void Add(TNamespace ns, ulong handle, uint openerProcess)
    {
        lock (_lock)
        {
            if (!_byNamespace.TryGetValue(ns, out var sockets))
                _byNamespace[ns] = sockets = [];
            if (sockets.TryAdd(handle, openerProcess))
                _count++;
        }
    }

    public void Remove(TNamespace ns, ulong handle)
    {
        lock (_lock)
        {
            if (!_byNamespace.TryGetValue(ns, out var sockets) || !sockets.Remove(handle))
                return;
            _count--;
            if (sockets.Count == 0)
                _byNamespace.Remove(ns);
        }
    }

    public int CountOf(TNamespace ns)
    {
        lock (_lock)
            return _byNamespace.TryGetValue(ns, out var sockets) ? sockets.Count : 0;
    }

    /// <summary>The handles of <paramref name="ns"/>'s sockets, oldest first (a copy: the sockets may
    /// close while it is read).</summary>
    public IReadOnlyList<ulong> HandlesOf(TNamespace ns)
    {
        lock (_lock)
            return _byNamespace.TryGetValue(ns, out var sockets) ? [.. sockets.Keys] : [];
    }

    /// <summary>The newest of <paramref name="ns"/>'s sockets that <paramref name="process"/>
    /// opened (the highest handle: handles only grow); 0 if none.</summary>
    public ulong NewestOf(TNamespace ns, uint process)
    {
        lock (_lock)
        {
            if (!_byNamespace.TryGetValue(ns, out var sockets))
                return 0;
            ulong newest = 0;
            foreach (var (handle, opener) in sockets)
            {
                if (opener == process)
                    newest = handle; // ascending: the last match is the newest
            }
            return newest;
        }
    }
}
