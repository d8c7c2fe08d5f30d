using System.Globalization;

namespace NetnsFs.Tests.Support;

/// <summary>What a daemon holds, for tests that check it gives everything back.</summary>
public static class DaemonFds
{
    /// <summary>The handoff connections the daemon serves (status limit_handoffs=NOW/SOFT/HARD).</summary>
    public static long HandoffConnections(NetnsfsMount m) =>
        long.Parse(m.Status["limit_handoffs"].Split('/')[0], CultureInfo.InvariantCulture);

    /// <summary>The daemon's fd count once it serves no handoff connection and two reads agree.</summary>
    public static int Settled(NetnsfsMount m)
    {
        int now = -1;
        Await.Until(() =>
        {
            int before = now;
            now = m.DaemonFdCount;
            return HandoffConnections(m) == 0 && now == before;
        }, TimeSpan.FromSeconds(20), "the daemon to close the warm-up's handoff connection", () => $"{now} fds, {HandoffConnections(m)} handoff connections");
        return now;
    }
}
