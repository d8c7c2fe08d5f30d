using System.Diagnostics;
using NUnit.Framework;

namespace NetnsFs.Tests.Support;

/// <summary>The one way the tests wait: poll something the daemon or the system says (a counter in
/// the mount's status file, a process state in /proc, a socket in /proc/net, a file) until it
/// holds or a deadline passes. No test sleeps in the hope that the daemon got there.</summary>
public static class Await
{
    /// <summary>Polls <paramref name="condition"/> every <paramref name="pollMs"/> ms until it holds
    /// (true) or <paramref name="timeout"/> passed (false): for the callers that report the failure
    /// themselves (with what they measured meanwhile).</summary>
    public static bool Eventually(Func<bool> condition, TimeSpan timeout, int pollMs = 20)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (condition())
                return true;
            if (sw.Elapsed > timeout)
                return false;
            Thread.Sleep(pollMs);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds; otherwise fails the test with
    /// "waited TIMEOUT for WHAT", and <paramref name="state"/> (read at the failure) if given.</summary>
    public static void Until(Func<bool> condition, TimeSpan timeout, string what, Func<string>? state = null)
    {
        if (!Eventually(condition, timeout))
            Assert.Fail($"waited {timeout.TotalSeconds:0.###} s for {what}" + (state is null ? "" : $"; now: {state()}"));
    }

    /// <summary>Waits until the mount's status line <paramref name="key"/> reads <paramref name="value"/>.</summary>
    public static void Status(NetnsfsMount m, string key, long value, TimeSpan timeout, string? what = null) =>
        Until(() => m.StatusNumber(key) == value, timeout, what ?? $"status {key}={value}", () => $"{key}={m.StatusNumber(key)}");

    /// <summary>Waits until the FUSE requests the daemon holds for later (status deferred_requests:
    /// reads and writes waiting for their socket, opens waiting for a connect or an accept) number
    /// <paramref name="count"/>: those callers are then blocked in the daemon, not on their way.</summary>
    public static void Deferred(NetnsfsMount m, int count, string what, TimeSpan? timeout = null) =>
        Status(m, "deferred_requests", count, timeout ?? TimeSpan.FromSeconds(10), what);
}
