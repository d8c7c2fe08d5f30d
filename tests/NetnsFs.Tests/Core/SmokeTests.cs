using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Core;

public sealed class SmokeTests
{
    [Test]
    public void A_created_namespace_mounts_lists_and_unmounts()
    {
        int pid;
        string dir;
        using (var m = new NetnsfsMount("create"))
        {
            pid = m.DaemonPid;
            dir = m.Dir;
            var names = Directory.GetFileSystemEntries(m.Dir).Select(Path.GetFileName).ToList();
            Assert.That(names, Does.Contain("inet;stream;tcp").And.Contain("tcp").And.Contain("status"));
            Assert.That(m.Status["origin"], Is.EqualTo("created"));
        }
        Assert.That(Mounts.IsMounted(dir), Is.False);
        Assert.That(Processes.WaitGone(pid, TimeSpan.FromSeconds(2)), Is.True, "the daemon exits with its mount");
    }
}
