using System.Globalization;
using NetnsFs.Tests.Sockets;
using NetnsFs.Tests.Support;

namespace NetnsFs.Tests.Lifetime;

/// <summary>A veth pair with unique names (at most 15 characters): its host end shows whether the
/// namespace holding the peer still exists (a namespace's devices go with it; a veth pair goes
/// as a whole). Dispose deletes it if it is still there.</summary>
public sealed class VethPair : IDisposable
{
    public VethPair()
    {
        string id = Guid.NewGuid().ToString("N")[..8];
        Host = "nfh" + id;
        Peer = "nfp" + id;
        Run.Checked(Run.Process("ip", ["link", "add", Host, "type", "veth", "peer", "name", Peer], TimeSpan.FromSeconds(30)));
    }

    public string Host { get; }
    public string Peer { get; }

    public bool HostExists => Directory.Exists($"/sys/class/net/{Host}");
    public bool PeerOnHost => Directory.Exists($"/sys/class/net/{Peer}");

    /// <summary>Moves the peer end into the namespace at <paramref name="nsPath"/> (a file, as `ip` takes it).</summary>
    public RunResult MovePeerInto(string nsPath) => Run.Process("ip", ["link", "set", Peer, "netns", nsPath], TimeSpan.FromSeconds(30));

    public void Dispose()
    {
        if (HostExists)
            Run.Process("ip", ["link", "del", Host], TimeSpan.FromSeconds(30));
        if (PeerOnHost)
            Run.Process("ip", ["link", "del", Peer], TimeSpan.FromSeconds(30));
    }
}

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
