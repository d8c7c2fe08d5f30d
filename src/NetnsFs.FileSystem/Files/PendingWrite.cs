using System.Buffers;
using NetnsFs.Fuse.Session;

namespace NetnsFs.FileSystem.Files;

/// <summary>A write the socket could not take at once: the rest of its data (copied out of the
/// reader's buffer into a pooled array), how much went out before it was queued, and since.</summary>
internal sealed class PendingWrite(FuseRequest request, byte[] data, int length, int sentBefore)
{
    public FuseRequest Request { get; } = request;

    /// <summary>Bytes of the copy sent so far.</summary>
    public int Sent { get; set; }

    public int Length { get; } = length;

    /// <summary>Bytes of the whole write that the socket took: what write(2) returns.</summary>
    public int Total => sentBefore + Sent;

    public bool IsDone => Sent == Length;

    public ReadOnlySpan<byte> Remaining => data.AsSpan(Sent, Length - Sent);

    public void Return() => ArrayPool<byte>.Shared.Return(data);
}

/// <summary>A read waiting for data.</summary>
internal readonly record struct PendingRead(FuseRequest Request, int Size);
