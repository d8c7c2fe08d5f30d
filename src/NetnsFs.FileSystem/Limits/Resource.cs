namespace NetnsFs.FileSystem.Limits;

/// <summary>What a mount user can make the root daemon hold, each bounded per uid and per mount
/// (<see cref="MountLimits"/>).</summary>
public enum Resource
{
    /// <summary>Open socket files (an fd each, from the make to the last close; connects in progress included).</summary>
    SocketFiles,

    /// <summary>Listening sockets kept by the mount (tcp/listen/PORT, tcp/listen/0, unix/listen/@NAME).</summary>
    Listeners,

    /// <summary>Connections to a handoff socket.</summary>
    Handoffs,

    /// <summary>Namespaces of a multi mount made by mkdir.</summary>
    Namespaces,

    /// <summary>Open text snapshots (net/*, conn/N/*, status) and open directory listings.</summary>
    Snapshots,

    /// <summary>Bytes of write data the daemon keeps for its socket (queued and written-behind writes).</summary>
    HeldBytes,
}
