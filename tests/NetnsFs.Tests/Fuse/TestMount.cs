using NetnsFs.Tests.Support;
using NetnsFs.UnitTests.Fuse;
using NUnit.Framework;

namespace NetnsFs.Tests.Fuse;

/// <summary>A <see cref="TestFileSystem"/> mounted in this process. Dispose first fails every read
/// still waiting in the daemon (so no thread of a failed test stays blocked on the mount), then
/// unmounts and waits for the session to end.</summary>
public sealed class TestMount : IDisposable
{
    private readonly InProcessMount _mount;

    public TestMount()
    {
        Fs = new TestFileSystem();
        _mount = new InProcessMount(Fs);
    }

    public TestFileSystem Fs { get; }

    public InProcessMount Mount => _mount;

    public string Dir => _mount.Dir;

    public string this[string relative] => _mount[relative];

    /// <summary>Waits for the filesystem to reach a state, failing the test on timeout.</summary>
    public void AwaitFs(Func<TestFileSystem, bool> condition, TimeSpan timeout, string what) =>
        Assert.That(Fs.WaitUntil(condition, timeout), Is.True, $"timed out after {timeout.TotalSeconds:F1} s waiting for: {what}");

    public void Dispose()
    {
        Fs.FailAllWaiters();
        _mount.Dispose();
    }
}
