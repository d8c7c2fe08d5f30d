namespace NetnsFs.FileSystem.Limits;

/// <summary>One counted use of a resource, released exactly once whichever path ends it (close,
/// failure, cancellation). A charge taken before a socket exists can be cancelled by an interrupt
/// racing the making: <see cref="Cancel"/> releases it only while nothing owns it, and
/// <see cref="Own"/> by the file that is made after all counts it again, so the count never drifts
/// from what is held.</summary>
public sealed class Charge : IDisposable
{
    private const int Pending = 0, Owned = 1, Released = 2;

    private readonly MountLimits _limits;
    private int _state;

    internal Charge(MountLimits limits, Resource resource, uint uid, long amount)
    {
        _limits = limits;
        Resource = resource;
        Uid = uid;
        Amount = amount;
    }

    public Resource Resource { get; }

    public uint Uid { get; }

    public long Amount { get; }

    /// <summary>The thing made holds the charge now; if a cancellation released it meanwhile, it is
    /// counted again (past the caps: the thing exists).</summary>
    public Charge Own()
    {
        int seen = Interlocked.CompareExchange(ref _state, Owned, Pending);
        if (seen == Released && Interlocked.CompareExchange(ref _state, Owned, Released) == Released)
            _limits.TakeAnyway(Resource, Uid, Amount);
        return this;
    }

    /// <summary>The making was cancelled: released unless something owns the charge already.</summary>
    public void Cancel()
    {
        if (Interlocked.CompareExchange(ref _state, Released, Pending) == Pending)
            _limits.Release(Resource, Uid, Amount);
    }

    /// <summary>Released (once; later calls do nothing).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _state, Released) != Released)
            _limits.Release(Resource, Uid, Amount);
    }
}
