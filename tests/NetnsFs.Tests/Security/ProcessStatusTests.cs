using NetnsFs.Net.Identity;
using NUnit.Framework;

namespace NetnsFs.Tests.Security;

/// <summary>The live read of who a caller is from /proc/PID/status, which must refuse what it cannot
/// trust; it names root as the caller, so it runs as root (the parsing is unit-tested:
/// NetnsFs.UnitTests, Identity/ProcessCredentialsTests).</summary>
public sealed class ProcessStatusTests
{
    [Test]
    public void This_process_reads_as_itself_and_not_as_another_user()
    {
        int pid = Environment.ProcessId;
        Assert.That(ProcessCredentials.Read(pid, 0, 0), Is.Not.Null, "the tests run as root");
        Assert.That(ProcessCredentials.Read(pid, 65534, 65534), Is.Null, "a pid that is not the user named lends nothing");
        Assert.That(ProcessCredentials.Read(0, 0, 0), Is.Null, "pid 0 (outside our pid namespace) is unknown");
        Assert.That(ProcessCredentials.Read(int.MaxValue - 1, 0, 0), Is.Null, "no such process");
    }
}
