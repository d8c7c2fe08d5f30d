using System.Globalization;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Lifetime;

/// <summary>What the mount command leaves behind: a daemon in a private mount namespace made
/// before the mount existed (or its mount could never be reaped), detached from the mounter's
/// terminal and pipes.</summary>
public sealed class LauncherTests
{
    [Test]
    public void The_daemons_own_mount_namespace_never_holds_its_mount_so_umount_ends_it()
    {
        var report = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            using var m = new NetnsfsMount("create");
            bool holds = File.ReadAllLines($"/proc/{m.DaemonPid}/mountinfo")
                .Any(l => l.Split(' ').ElementAtOrDefault(4) == m.Dir);
            Mounts.Detach(m.Dir);
            bool exited = m.WaitDaemonExit(TimeSpan.FromSeconds(5));
            if (!exited)
                LifetimeKit.KillDaemon(m.DaemonPid); // and its handoff directory, which a killed daemon leaves
            report.Add(string.Create(CultureInfo.InvariantCulture, $"mount {i}: daemon {m.DaemonPid} holds its own mount: {holds}, exited within 5 s of umount: {exited}"));
        }
        Assert.That(report.Where(r => r.Contains("holds its own mount: True", StringComparison.Ordinal) || r.Contains("umount: False", StringComparison.Ordinal)), Is.Empty,
            string.Join('\n', report));
    }

    [Test]
    public void The_mount_command_returns_when_its_output_is_captured()
    {
        using var tmp = new TempDir("life");
        string dir = tmp.Sub("mnt");
        int daemon = 0;
        try
        {
            // `out=$(netnsfs ...)` waits for every writer of the pipe: the daemon must not keep one.
            var r = Run.Process("timeout", ["15", "/bin/bash", "-c", "out=$(\"$0\" x \"$1\" -o create 2>&1); echo \"rc=$? out=$out\"", Netnsfs.Binary, dir],
                TimeSpan.FromSeconds(60));
            if (Mounts.IsMounted(dir))
            {
                var pid = File.ReadAllLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("pid=", StringComparison.Ordinal));
                daemon = pid is null ? 0 : int.Parse(pid[4..], CultureInfo.InvariantCulture);
            }
            Assert.That(r.ExitCode, Is.Not.EqualTo(124), $"`out=$(netnsfs SOURCE DIR -o create)` still waited after 15 s: the daemon holds a copy of the mounter's stdout/stderr (fds of /proc/{daemon}/fd): {r}");
            Assert.That(r.Stdout, Does.StartWith("rc=0"), r.ToString());
        }
        finally
        {
            if (Mounts.IsMounted(dir))
                Mounts.Detach(dir);
            if (daemon > 0 && !Processes.WaitGone(daemon, TimeSpan.FromSeconds(5)))
                LifetimeKit.KillDaemon(daemon);
        }
    }
}
