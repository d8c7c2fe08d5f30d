using System.Globalization;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Multi;

/// <summary>A veth pair whose peer is put into a namespace: the end left outside vanishes when the
/// kernel frees that namespace, which is how a test sees a namespace really go. Deletes its end
/// on dispose if it is still there.</summary>
internal sealed class VethMark(string prefix) : IDisposable
{
    private readonly string _name = prefix + (Environment.ProcessId % 65536).ToString("x4", CultureInfo.InvariantCulture) + Random.Shared.Next(100, 999);

    /// <summary>The end outside.</summary>
    public string Host => _name + "h";

    /// <summary>The end inside the namespace.</summary>
    public string Peer => _name + "n";

    /// <summary><paramref name="nsPath"/>: anything `ip link ... netns` takes (a ns file, /proc/PID/fd/N).</summary>
    public void PutPeerInto(string nsPath) =>
        Run.Checked(Run.Process("ip", ["link", "add", Host, "type", "veth", "peer", "name", Peer, "netns", nsPath]));

    public void AssertGone(string because)
    {
        Await.Eventually(() => !Directory.Exists($"/sys/class/net/{Host}"), TimeSpan.FromSeconds(5), pollMs: 50);
        Assert.That(Run.Process("ip", ["link", "show", Host]).ExitCode, Is.Not.Zero, because);
    }

    public void Dispose() => Run.Process("ip", ["link", "del", Host]);
}
