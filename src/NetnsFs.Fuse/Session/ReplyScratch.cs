using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Protocol;

namespace NetnsFs.Fuse.Session;

/// <summary>Each thread's reply memory: one page-aligned buffer, big enough for a 1 MiB read plus
/// its header, lent as a <see cref="ReplyBuffer"/> for one reply at a time. One per thread rather
/// than per request: a reply is built and sent by one thread without a wait in between, so a
/// thread never needs two at once, and a reply finished later (a read that waited for data) is
/// built on the thread that finishes it.</summary>
internal static class ReplyScratch
{
    public const int Capacity = FuseConstants.MaxPages * FuseConstants.PageSize + FuseConstants.PageSize;

    /// <summary>The largest payload a reply buffer holds.</summary>
    public static int MaxPayload => Capacity - ReplyEncoder.OutHeaderSize;

    [ThreadStatic]
    private static NativeBuffer? s_buffer;

    [ThreadStatic]
    private static int s_lendings; // counts this thread's lendings: a reply buffer is good until the next

    /// <summary>Lends the calling thread's reply memory to <paramref name="request"/>, with room for
    /// <paramref name="maxPayload"/> bytes (at most <see cref="MaxPayload"/>).</summary>
    public static ReplyBuffer Lend(FuseRequest request, int maxPayload)
    {
        var buffer = s_buffer ??= new NativeBuffer(Capacity);
        int payload = Math.Clamp(maxPayload, 0, MaxPayload);
        return new ReplyBuffer(request, buffer.Span[..(ReplyEncoder.OutHeaderSize + payload)], ++s_lendings);
    }

    /// <summary>Whether <paramref name="lending"/> is the calling thread's latest: its memory holds
    /// what its borrower wrote.</summary>
    public static bool IsCurrent(int lending) => s_lendings == lending;
}
