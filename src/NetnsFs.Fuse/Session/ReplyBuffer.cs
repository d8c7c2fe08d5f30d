using NetnsFs.Fuse.Protocol;

namespace NetnsFs.Fuse.Session;

/// <summary>Where one reply's payload is built in place (READ data, a directory listing): fill
/// <see cref="Payload"/>, then answer with <see cref="FuseRequest.ReplyData(ReplyBuffer, int)"/>,
/// which writes the header in front of it and sends both in one write(2), without a copy. Lent by
/// <see cref="FuseRequest.TakeReplyBuffer"/> for that request from the calling thread's reply
/// memory (<see cref="ReplyScratch"/>), so it costs no allocation. It is good on that thread until
/// the thread takes another; being a ref struct, it cannot be kept past the call that took it nor
/// handed to another thread (a deferred read takes its own when it is finished).</summary>
public readonly ref struct ReplyBuffer
{
    private readonly Span<byte> _message;

    internal ReplyBuffer(FuseRequest request, Span<byte> message, int lending)
    {
        Request = request;
        _message = message;
        Lending = lending;
    }

    /// <summary>The payload to fill: as long as the request asked for, at most a 1 MiB read.</summary>
    public Span<byte> Payload => _message[ReplyEncoder.OutHeaderSize..];

    /// <summary>The request this buffer answers.</summary>
    internal FuseRequest? Request { get; }

    /// <summary>Which lending of the thread's reply memory this is (a later one reuses the memory).</summary>
    internal int Lending { get; }

    /// <summary>The header's room and the first <paramref name="payloadLength"/> bytes of payload.</summary>
    internal Span<byte> Message(int payloadLength) => _message[..(ReplyEncoder.OutHeaderSize + payloadLength)];
}
