using NetnsFs.Fuse.Session;

namespace NetnsFs.FileSystem.Files;

/// <summary>A write the socket could not take at once: the rest of its data (the request buffer,
/// leased from the session: no copy), how much went out before it was queued, and since. Its
/// request is null when the write was acknowledged before it was sent (write-behind).</summary>
internal sealed class PendingWrite(FuseRequest? request, PayloadLease data, int sentBefore)
{
    public FuseRequest? Request { get; } = request;

    /// <summary>Already acknowledged: nobody waits for it, and an error of it is reported later.</summary>
    public bool IsAcknowledged => Request is null;

    /// <summary>Bytes of the copy sent so far.</summary>
    public int Sent { get; set; }

    public int Length { get; } = data.Length;

    /// <summary>Bytes of the whole write that the socket took: what write(2) returns.</summary>
    public int Total => sentBefore + Sent;

    public bool IsDone => Sent == Length;

    public ReadOnlySpan<byte> Remaining => data.Span[Sent..];

    public void Return() => data.Dispose();
}

/// <summary>A read waiting for data.</summary>
internal readonly record struct PendingRead(FuseRequest Request, int Size);
