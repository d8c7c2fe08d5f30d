using NetnsFs.Tests.Support;
using NUnit.Framework;

// No namespace: an NUnit [SetUpFixture] applies to the tests of its namespace and below, and this
// one is for all of them.

/// <summary>After all tests: nothing of ours stays mounted or running, even when a test failed
/// before its own cleanup.</summary>
[SetUpFixture]
public sealed class GlobalCleanup
{
    [OneTimeSetUp]
    public void CheckRoot() =>
        Assert.That(Environment.UserName == "root" || Libc.geteuid() == 0, Is.True, "the tests make real mounts and namespaces: run them as root");

    [OneTimeTearDown]
    public void DetachLeftovers()
    {
        // Only what this run made: its temporary directories carry its pid.
        string mine = $"{TempDir.Root}/";
        string tag = $"-{Environment.ProcessId}-";
        foreach (var m in Mounts.Fuse().Where(m => m.Target.StartsWith(mine, StringComparison.Ordinal) && m.Target.Contains(tag, StringComparison.Ordinal)).ToList())
        {
            TestContext.Progress.WriteLine($"left mounted by a test: {m.Target}; detaching");
            Mounts.Detach(m.Target);
        }
        Run.Process("pkill", ["-KILL", "-f", $"--daemon .*{TempDir.Root}/[a-z]+{tag}"], TimeSpan.FromSeconds(5));
        foreach (var dir in Directory.Exists(TempDir.Root) ? Directory.GetDirectories(TempDir.Root, $"*{tag}*") : [])
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
