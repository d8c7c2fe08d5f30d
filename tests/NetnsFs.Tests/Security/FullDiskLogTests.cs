using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Security;

/// <summary>Issue 7's "a full disk for the log file": the daemon logs every request to a file on a
/// filesystem with no space left, and goes on serving: no crash, no hang, no leak.</summary>
public sealed class FullDiskLogTests
{
    [Test]
    public void A_full_disk_under_the_log_file_does_not_stop_the_daemon()
    {
        using var dir = new TempDir("fulldisk");
        string logs = dir.Sub("logs");
        Run.Checked(Run.Process("mount", ["-t", "tmpfs", "-o", "size=64k", "netnsfs-test-logs", logs]));
        try
        {
            // Fill it to the last block.
            Run.Process("dd", ["if=/dev/zero", $"of={logs}/filler", "bs=4k"], TimeSpan.FromSeconds(20));
            Assert.That(Run.Process("dd", ["if=/dev/zero", $"of={logs}/more", "bs=4k", "count=1"]).ExitCode, Is.Not.Zero, "the disk is full");
            using var m = new NetnsfsMount($"create,debug,log={logs}/netnsfs.log");
            // Plenty of log lines: debug logs every request, and every refusal.
            var r = Run.Process(Run.Python3, ["-c", """
                import os, sys
                d = sys.argv[1]
                ok = 0
                for i in range(300):
                    for p in ("inet;stream;tcp", "tcp/127.0.0.1/1", "no;such;thing"):
                        try:
                            os.close(os.open(os.path.join(d, p), os.O_RDWR)); ok += 1
                        except OSError:
                            pass
                print(ok)
                """, m.Dir], TimeSpan.FromSeconds(60));
            Assert.That(r.Stdout.Trim(), Is.EqualTo("300"), r.ToString());
            Assert.That(m.DaemonAlive, Is.True);
            Assert.That(m.Status["sockets"], Is.EqualTo("0"));
        }
        finally
        {
            Run.Process("umount", ["-l", logs]);
        }
    }
}
