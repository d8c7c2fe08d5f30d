using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Protocol;

namespace NetnsFs.Fuse.Session;

/// <summary>One page-aligned reply buffer per thread, big enough for a 1 MiB read plus its header.
/// Payloads are built at offset 16 and sent with the header in one write, no allocation.</summary>
internal static class ReplyScratch
{
    public const int Capacity = FuseConstants.MaxPages * FuseConstants.PageSize + FuseConstants.PageSize;

    [ThreadStatic]
    private static NativeBuffer? s_buffer;

    private static NativeBuffer Buffer => s_buffer ??= new NativeBuffer(Capacity);

    public static Span<byte> Payload(int maxPayload) =>
        Buffer.Span.Slice(ReplyEncoder.OutHeaderSize, Math.Min(maxPayload, Capacity - ReplyEncoder.OutHeaderSize));

    public static Span<byte> Message(int payloadLength) =>
        Buffer.Span[..(ReplyEncoder.OutHeaderSize + payloadLength)];
}
