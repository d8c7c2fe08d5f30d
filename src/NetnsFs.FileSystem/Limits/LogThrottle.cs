namespace NetnsFs.FileSystem.Limits;

/// <summary>At most one log line per interval for one kind of refusal, counting the ones left
/// unsaid, so that a user who provokes refusals by the thousand cannot flood the daemon's log
/// (or its disk) with them.</summary>
public sealed class LogThrottle(TimeSpan interval)
{
    private long _last = long.MinValue; // Environment.TickCount64 of the last line
    private long _unlogged;

    /// <summary>True if a line may be written now; <paramref name="suppressed"/> is how many were
    /// not written since the last one.</summary>
    public bool TryLog(out long suppressed)
    {
        suppressed = 0;
        long now = Environment.TickCount64;
        long last = Interlocked.Read(ref _last);
        if ((last != long.MinValue && now - last < (long)interval.TotalMilliseconds) ||
            Interlocked.CompareExchange(ref _last, now, last) != last)
        {
            Interlocked.Increment(ref _unlogged);
            return false;
        }
        suppressed = Interlocked.Exchange(ref _unlogged, 0);
        return true;
    }
}
