namespace NetnsFs.FileSystem.Limits;

/// <summary>One resource's use: per uid and in total, with its two caps. uid 0 is counted (so the
/// totals are the daemon's own) but only the per-mount cap applies to it: that cap stands for what
/// the daemon can hold at all, and root would meet the kernel's refusal past it anyway.
/// A uid's entry goes when its count returns to zero, so the table is as large as the users that
/// hold something.</summary>
internal sealed class UidCounter(long perUid, long perMount)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, long> _byUid = [];
    private long _total;
    private long _refused;

    public long PerUid { get; } = perUid;

    public long PerMount { get; } = perMount;

    public long Total
    {
        get
        {
            lock (_lock)
                return _total;
        }
    }

    public long Refused => Interlocked.Read(ref _refused);

    public long Of(uint uid)
    {
        lock (_lock)
            return _byUid.GetValueOrDefault(uid);
    }

    /// <summary>Counts <paramref name="amount"/> for <paramref name="uid"/> if both caps allow it
    /// (always when <paramref name="force"/>); which cap refused otherwise.</summary>
    public bool TryTake(uint uid, long amount, bool force, out bool mountWide)
    {
        mountWide = false;
        lock (_lock)
        {
            long mine = _byUid.GetValueOrDefault(uid);
            if (!force)
            {
                mountWide = _total + amount > PerMount;
                if (mountWide || (uid != 0 && mine + amount > PerUid))
                {
                    _refused++;
                    return false;
                }
            }
            _byUid[uid] = mine + amount;
            _total += amount;
            return true;
        }
    }

    public void Release(uint uid, long amount)
    {
        lock (_lock)
        {
            long mine = _byUid.GetValueOrDefault(uid) - amount;
            if (mine <= 0)
                _byUid.Remove(uid);
            else
                _byUid[uid] = mine;
            _total -= amount;
        }
    }
}
