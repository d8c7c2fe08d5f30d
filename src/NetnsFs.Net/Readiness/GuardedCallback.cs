using Serilog;

namespace NetnsFs.Net.Readiness;

/// <summary>Callbacks that run on a timer or thread-pool thread, where an exception that escapes
/// ends the whole process (every user's connections with it). Run through here, a failure costs
/// one log line and the one request it belonged to (<c>failed</c> answers it), never the daemon.</summary>
public static class GuardedCallback
{
    /// <summary>A timer (not started) whose callback is guarded by <see cref="Run"/>.</summary>
    public static Timer Timer(ILogger? log, string what, Action callback, Action<Exception>? failed = null) =>
        new(_ => Run(log, what, callback, failed), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    /// <summary>A guarded timer that fires once after <paramref name="due"/>.</summary>
    public static Timer Timer(ILogger? log, string what, Action callback, TimeSpan due, Action<Exception>? failed = null) =>
        new(_ => Run(log, what, callback, failed), null, due, Timeout.InfiniteTimeSpan);

    /// <summary>Runs <paramref name="callback"/>; an exception is logged and handed to
    /// <paramref name="failed"/> (itself guarded: a second failure is logged, not thrown).</summary>
    public static void Run(ILogger? log, string what, Action callback, Action<Exception>? failed = null)
    {
        try
        {
            callback();
        }
        catch (Exception e)
        {
            log?.Error("{What} failed: {Type}: {Message}", what, e.GetType().Name, e.Message);
            if (failed is null)
                return;
            try
            {
                failed(e);
            }
            catch (Exception again)
            {
                log?.Error("{What}: answering the failure failed too: {Type}: {Message}", what, again.GetType().Name, again.Message);
            }
        }
    }
}
