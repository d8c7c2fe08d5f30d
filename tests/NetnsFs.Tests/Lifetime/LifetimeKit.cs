using System.Globalization;
using NetnsFs.Tests.Support;

namespace NetnsFs.Tests.Lifetime;

public static class LifetimeKit
{
    /// <summary>The inode of the network namespace of `nsenter --net=PATH`'s process, from /proc/self/ns/net.</summary>
    public static ulong InodeSeenThrough(string nsPath)
    {
        var r = Run.Checked(Run.Process("nsenter", [$"--net={nsPath}", "--", "readlink", "/proc/self/ns/net"], TimeSpan.FromSeconds(30)));
        return ParseNsLink(r.Stdout.Trim());
    }

    /// <summary>"net:[4026531840]" to 4026531840.</summary>
    public static ulong ParseNsLink(string link)
    {
        int open = link.IndexOf('[', StringComparison.Ordinal);
        return ulong.Parse(link[(open + 1)..link.IndexOf(']', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
    }

    public static ulong OwnNetnsInode => ParseNsLink(File.ResolveLinkTarget("/proc/self/ns/net", false)!.ToString());

    /// <summary>Kills a leftover daemon and removes its handoff directory (only after a failure or a SIGKILL).</summary>
    public static void KillDaemon(int pid)
    {
        if (pid <= 0)
            return;
        if (Processes.IsAlive(pid))
        {
            try
            {
                using var p = System.Diagnostics.Process.GetProcessById(pid);
                p.Kill();
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
            Processes.WaitGone(pid, TimeSpan.FromSeconds(5));
        }
        try
        {
            Directory.Delete($"/run/netnsfs/{pid}", recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
