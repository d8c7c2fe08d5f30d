using NetnsFs.Fuse.Abi;

namespace NetnsFs.FileSystem.Nodes;

/// <summary>Node ids to nodes, and (parent, name) to the node a lookup made, so that repeated
/// lookups of one path give one inode. One lock: lookups and forgets are not the data path.</summary>
public sealed class NodeTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, Node> _byId = [];
    private readonly Dictionary<(ulong Parent, string Name), Node> _byName = [];
    private ulong _nextId = FuseConstants.RootId;

    public NodeTable(DirectoryNode root)
    {
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

    /// <summary>Registers a node under a fresh id (and under its parent's name index).</summary>
    public T Add<T>(T node) where T : Node
    {
        lock (_lock)
        {
            node.Id = new NodeId(_nextId++);
            _byId[node.Id.Value] = node;
            if (node.Parent is not null)
                _byName[(node.Parent.Id.Value, node.Name)] = node;
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

    /// <summary>The existing child, or <paramref name="make"/>'s node added; counts one lookup.</summary>
    public Node LookupOrAdd(Node parent, string name, Func<Node> make)
    {
        lock (_lock)
        {
            if (!_byName.TryGetValue((parent.Id.Value, name), out var node))
            {
                node = make();
                node.Id = new NodeId(_nextId++);
                _byId[node.Id.Value] = node;
                _byName[(parent.Id.Value, name)] = node;
            }
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

    private void Remove(Node node)
    {
        _byId.Remove(node.Id.Value);
        Detach(node);
    }
}
