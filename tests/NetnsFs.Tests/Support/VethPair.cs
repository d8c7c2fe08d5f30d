using NUnit.Framework;

namespace NetnsFs.Tests.Support;

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

    /// <summary>Asserts that the host end went (within 5 s): the namespace holding the peer was freed.</summary>
    public void AssertGone(string because)
    {
        Await.Eventually(() => !HostExists, TimeSpan.FromSeconds(5), pollMs: 50);
        Assert.That(HostExists, Is.False, because);
    }

    public void Dispose()
    {
        if (HostExists)
            Run.Process("ip", ["link", "del", Host], TimeSpan.FromSeconds(30));
        if (PeerOnHost)
            Run.Process("ip", ["link", "del", Peer], TimeSpan.FromSeconds(30));
    }
}
