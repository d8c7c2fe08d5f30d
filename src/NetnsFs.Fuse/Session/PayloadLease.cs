namespace NetnsFs.Fuse.Session;

/// <summary>A request's payload kept past its handler without a copy: the reader that read it
/// moves on to another buffer, and this one returns to the session's pool on dispose. For a WRITE
/// whose socket cannot take the data yet: holding 1 MiB costs nothing, copying it would.</summary>
public sealed class PayloadLease : IDisposable
{
    private readonly BufferPool _pool;
    private NativeBuffer? _buffer;

    internal PayloadLease(BufferPool pool, NativeBuffer buffer, int offset, int length)
    {
        _pool = pool;
        _buffer = buffer;
        Offset = offset;
        Length = length;
    }

    private int Offset { get; }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => (_buffer ?? throw new ObjectDisposedException(nameof(PayloadLease))).Span.Slice(Offset, Length);

    public void Dispose()
    {
        var b = Interlocked.Exchange(ref _buffer, null);
        if (b is not null)
            _pool.Return(b);
    }
}

/// <summary>Request buffers (page-aligned, one request each): a reader takes one, and takes another
/// when a handler leases its payload. A few spares are kept; more are freed.</summary>
internal sealed class BufferPool(int bufferSize, int maxSpares)
{
    private readonly System.Collections.Concurrent.ConcurrentBag<NativeBuffer> _spares = [];

    public NativeBuffer Rent() => _spares.TryTake(out var b) ? b : new NativeBuffer(bufferSize);

    public void Return(NativeBuffer buffer)
    {
        if (_spares.Count < maxSpares)
            _spares.Add(buffer);
        else
            buffer.Dispose();
    }

    public void Clear()
    {
        while (_spares.TryTake(out var b))
            b.Dispose();
    }
}
