using NUnit.Framework;

namespace NetnsFs.Tests.Support;

/// <summary>After all tests: nothing of ours stays mounted or running, even when a test failed
/// before its own cleanup.</summary>
[SetUpFixture]
public sealed class GlobalCleanup
{
    [OneTimeSetUp]
    public void CheckRoot() =>
        Assert.That(Environment.UserName == "root" || Mono.Unix.Native.Syscall.geteuid() == 0, Is.True, "the tests make real mounts and namespaces: run them as root");

    [OneTimeTearDown]
    public void DetachLeftovers()
    {
        foreach (var m in Mounts.Fuse().Where(m => m.Target.StartsWith(TempDir.Root, StringComparison.Ordinal)).ToList())
            Mounts.Detach(m.Target);
        Run.Process("pkill", ["-KILL", "-f", "netnsfs.dll --daemon"], TimeSpan.FromSeconds(5));
        Run.Process("pkill", ["-KILL", "-x", "netnsfs"], TimeSpan.FromSeconds(5));
        try
        {
            Directory.Delete(TempDir.Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
