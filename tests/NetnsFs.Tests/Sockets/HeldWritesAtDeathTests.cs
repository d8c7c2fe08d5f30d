using NetnsFs.Tests.Lifetime;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Sockets;

/// <summary>Issue 17, item 3: a large write is answered before its data is sent (write-behind).
/// When the daemon dies (SIGKILL, the OOM killer, a crash) the kernel closes its sockets; unless
/// they reset, the peer reads a clean end after a cut stream while the writer was told every byte
/// went out. The writer is nobody on an allow_other mount, and root.</summary>
public sealed class HeldWritesAtDeathTests
{
    [TestCase(65534, TestName = "SIGKILL_of_the_daemon_holding_nobodys_answered_writes_resets_the_peer")]
    [TestCase(0, TestName = "SIGKILL_of_the_daemon_holding_roots_answered_writes_resets_the_peer")]
    public void SIGKILL_resets_a_connection_whose_answered_data_was_not_all_sent(int uid)
    {
        using var tmp = new TempDir("held");
        using var ns = new NamespaceHolder();
        using var m = new NetnsfsMount($"netns={ns.Path},allow_other,mode=0777");
        try
        {
            var j = HeldWritesKit.Run(ns.Path, tmp, m.Dir, m.DaemonPid, "SIGKILL", uid);
            long acked = j.GetProperty("acked").GetInt64();
            Assert.Multiple(() =>
            {
                Assert.That(j.GetProperty("held").GetInt32(), Is.EqualTo(1), "the daemon held an answered write when it died");
                Assert.That(j.GetProperty("exited").GetBoolean(), Is.True);
                Assert.That(j.GetProperty("received").GetInt64(), Is.LessThan(acked), "the peer cannot have what died with the daemon");
                Assert.That(j.GetProperty("end").GetString(), Is.EqualTo("ECONNRESET"),
                    $"the writer was told {acked} bytes went out: the peer must learn the stream was cut, not read a clean end");
            });
        }
        finally
        {
            LifetimeKit.KillDaemon(m.DaemonPid);
        }
    }
}
