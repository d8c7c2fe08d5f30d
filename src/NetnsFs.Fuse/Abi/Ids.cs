namespace NetnsFs.Fuse.Abi;

/// <summary>A node id the kernel knows an inode by (1 is the root). A distinct type so that it is
/// never mixed up with a file handle or a request id.</summary>
public readonly record struct NodeId(ulong Value)
{
    public static readonly NodeId Root = new(FuseConstants.RootId);
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The fh a filesystem returned from OPEN/OPENDIR/CREATE, handed back on every later call.</summary>
public readonly record struct FileHandle(ulong Value)
{
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The kernel's unique id of one request; INTERRUPT names the request it cancels by it.</summary>
public readonly record struct RequestId(ulong Value)
{
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
