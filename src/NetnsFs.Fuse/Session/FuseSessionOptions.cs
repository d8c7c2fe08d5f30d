using NetnsFs.Fuse.Abi;

namespace NetnsFs.Fuse.Session;

/// <summary>How a session runs.</summary>
public sealed record FuseSessionOptions
{
    /// <summary>Threads blocked in read(/dev/fuse). Handlers never wait on them, so a few suffice.</summary>
    public int Readers { get; init; } = Math.Clamp(Environment.ProcessorCount, 2, 4);

    /// <summary>Largest write we accept (the kernel caps it at max_pages pages).</summary>
    public uint MaxWrite { get; init; } = FuseConstants.MaxPages * FuseConstants.PageSize;

    /// <summary>A request buffer: the largest write plus its headers.</summary>
    public int RequestBufferSize => (int)MaxWrite + FuseConstants.PageSize;

    /// <summary>Log every request at Debug (-o debug).</summary>
    public bool LogRequests { get; init; }
}
