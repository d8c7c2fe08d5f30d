using NetnsFs.Fuse.Abi;

namespace NetnsFs.FileSystem.Nodes;

/// <summary>Node ids to nodes, and (parent, name) to the node a lookup made, so that repeated
/// lookups of one path give one inode. Ids come from one counter and are never reused, so no two
/// names share an inode number; a name `ls` shows before any lookup made it gets an id kept for
/// that lookup (<see cref="IdFor"/>), so `ls -i` and `stat` agree. One lock: lookups and forgets
/// are not the data path.</summary>
public sealed class NodeTable
{
    /// <summary>Most ids kept for listed names no lookup has taken yet; past it the oldest is
    /// dropped (that name's later lookup then gets a fresh id: a new number, never a shared one).</summary>
    public const int MaxReservedIds = 1 << 16;

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, Node> _byId = [];
    private readonly Dictionary<(ulong Parent, string Name), Node> _byName = [];
    private readonly Dictionary<(ulong Parent, string Name), LinkedListNode<((ulong Parent, string Name) Key, ulong Id)>> _reserved = [];
    private readonly LinkedList<((ulong Parent, string Name) Key, ulong Id)> _reservedOrder = new();
    private readonly int _maxReserved;
    private ulong _nextId = FuseConstants.RootId;

    public NodeTable(DirectoryNode root, int maxReservedIds = MaxReservedIds)
    {
        _maxReserved = maxReservedIds;
        Root = root;
        Add(root);
    }

    public DirectoryNode Root { get; }

    public int Count
    {
        get
        {
            lock (_lock)
                return _byId.Count;
        }
    }

    /// <summary>Ids kept for listed names (at most <see cref="MaxReservedIds"/>).</summary>
    public int ReservedCount
    {
        get
        {
            lock (_lock)
                return _reserved.Count;
        }
    }

    /// <summary>Registers a node under its id (and under its parent's name index).</summary>
    public T Add<T>(T node) where T : Node
    {
        lock (_lock)
        {
            Register(node);
            return node;
        }
    }

    public Node? Find(NodeId id)
    {
        lock (_lock)
            return _byId.GetValueOrDefault(id.Value);
    }

    /// <summary>The child named <paramref name="name"/> if a lookup made it already.</summary>
    public Node? FindChild(Node parent, string name)
    {
        lock (_lock)
            return _byName.GetValueOrDefault((parent.Id.Value, name));
    }

    /// <summary>The inode number of <paramref name="name"/> in <paramref name="parent"/> for a
    /// listing: its node's, or one kept for the lookup that may follow.</summary>
    public NodeId IdFor(Node parent, string name)
    {
        var key = (parent.Id.Value, name);
        lock (_lock)
        {
            if (_byName.TryGetValue(key, out var node))
                return node.Id;
            if (_reserved.TryGetValue(key, out var kept))
                return new NodeId(kept.Value.Id);
            if (_reserved.Count >= _maxReserved && _reservedOrder.First is { } oldest)
            {
                _reserved.Remove(oldest.Value.Key);
                _reservedOrder.RemoveFirst();
            }
            ulong id = _nextId++;
            _reserved[key] = _reservedOrder.AddLast((key, id));
            return new NodeId(id);
        }
    }

    /// <summary>The existing child, or <paramref name="make"/>'s node added; counts one lookup.</summary>
    public Node LookupOrAdd(Node parent, string name, Func<Node> make)
    {
        lock (_lock)
        {
            if (!_byName.TryGetValue((parent.Id.Value, name), out var node))
                node = Register(make());
            node.Lookups++;
            return node;
        }
    }

    /// <summary>Counts one more lookup reply for an existing node.</summary>
    public void CountLookup(Node node)
    {
        lock (_lock)
            node.Lookups++;
    }

    /// <summary>FORGET: drops the node once the kernel holds no lookups and it is not fixed.</summary>
    public void Forget(NodeId id, ulong count)
    {
        lock (_lock)
        {
            if (!_byId.TryGetValue(id.Value, out var node))
                return;
            node.Lookups = count >= node.Lookups ? 0 : node.Lookups - count;
            if (node.Lookups == 0 && !node.Pinned)
                Remove(node);
        }
    }

    /// <summary>Unlinks a name so the next lookup makes a new node (rm of a listener, rmdir).</summary>
    public void Detach(Node node)
    {
        lock (_lock)
        {
            if (node.Parent is not null && _byName.TryGetValue((node.Parent.Id.Value, node.Name), out var n) && n == node)
                _byName.Remove((node.Parent.Id.Value, node.Name));
        }
    }

    /// <summary>Gives <paramref name="node"/> the id kept for its name, or a fresh one.</summary>
    private Node Register(Node node)
    {
        ulong id;
        if (node.Parent is null)
        {
            id = _nextId++;
        }
        else
        {
            var key = (node.Parent.Id.Value, node.Name);
            if (_reserved.Remove(key, out var kept))
            {
                _reservedOrder.Remove(kept);
                id = kept.Value.Id;
            }
            else
            {
                id = _nextId++;
            }

            _byName[key] = node;
        }
        node.Id = new NodeId(id);
        _byId[id] = node;
        return node;
    }

    private void Remove(Node node)
    {
        _byId.Remove(node.Id.Value);
        Detach(node);
    }
}
