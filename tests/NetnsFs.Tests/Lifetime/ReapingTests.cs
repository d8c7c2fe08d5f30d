using System.Diagnostics;
using System.Globalization;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Lifetime;

/// <summary>A mount made in a private mount namespace lives as long as that mount namespace: when
/// its last process exits, the kernel drops the mount, the daemon exits, and the network namespace
/// it created is freed (for a multi mount, every namespace made under it). Watched from outside
/// through a veth pair whose peer lives inside.</summary>
public sealed class ReapingTests
{
    private const string MountInPrivateNs = """
        set -e
        if [ "$NO_NSENTER" = 1 ]; then mount --bind /dev/null "$(readlink -f /usr/bin/nsenter)"; fi
        if [ "$MULTI" = 1 ]; then
            "$NETNSFS" x "$DIR" -o multi
            mkdir "$DIR/a" "$DIR/b"
            NS="$DIR/a"
        else
            "$NETNSFS" x "$DIR" -o create${EXTRA:+,$EXTRA}
            NS="$DIR"
        fi
        ip link set "$PEER" netns "$NS/ns"
        grep -q "$PEER:" "$NS/net/dev"
        if [ "$MULTI" = 1 ]; then
            ip link set "$PEER2" netns "$DIR/b/ns"
            grep -q "$PEER2:" "$DIR/b/net/dev"
        fi
        grep '^pid=' "$DIR/status"
        echo ready
        if [ "$HOLD" = 1 ]; then exec sleep 600; fi
        """;

    private static string MountsOf(int pid, string dir)
    {
        try
        {
            return string.Join('\n', File.ReadAllLines($"/proc/{pid}/mountinfo").Where(l => l.Contains(dir, StringComparison.Ordinal)));
        }
        catch (IOException)
        {
            return "";
        }
    }

    [TestCase(false, false, TestName = "The_namespace_is_freed_when_the_private_mount_namespace_ends_normally")]
    [TestCase(true, false, TestName = "The_namespace_is_freed_when_the_last_process_of_the_private_mount_namespace_is_SIGKILLed")]
    [TestCase(false, true, TestName = "A_multi_mounts_namespaces_are_freed_when_the_private_mount_namespace_ends")]
    public void Reaping(bool sigkill, bool multi)
    {
        using var tmp = new TempDir("life");
        string dir = tmp.Sub("mnt");
        using var veth = new VethPair();
        using var veth2 = new VethPair(); // for the second namespace of the multi case
        int daemon = 0;
        try
        {
            using var holder = StartHolder(dir, veth, new() { ["HOLD"] = sigkill ? "1" : "0", ["MULTI"] = multi ? "1" : "0", ["PEER2"] = veth2.Peer }, out daemon);
            // (The script checked that the peer arrived in DIR/net/dev. Without HOLD its shell may be
            // gone, and everything reaped, by now.)
            Assert.That(veth.PeerOnHost, Is.False, "the peer moved into the mount's namespace");
            Assert.That(Mounts.IsMounted(dir), Is.False, "the mount exists only in the private mount namespace");

            if (sigkill)
            {
                Assert.That(Processes.IsAlive(daemon), Is.True, holder.ToString());
                // A sleep on purpose: the claim is that nothing is reaped while the sleeping process
                // keeps the mount namespace; a reaping by mistake would show within this time (the
                // real one below is given 2 s).
                Thread.Sleep(500);
                Assert.That(veth.HostExists, Is.True, "held by the sleeping process's mount namespace");
                Assert.That(Processes.IsAlive(daemon), Is.True);
                Run.Checked(Run.Process("kill", ["-KILL", holder.Pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10)));
            }
            Assert.That(Await.Eventually(() => holder.HasExited, TimeSpan.FromSeconds(30), pollMs: 5), Is.True, holder.ToString());
            var sw = Stopwatch.StartNew();
            bool gone = Await.Eventually(() => !veth.HostExists && (!multi || !veth2.HostExists), TimeSpan.FromSeconds(2), pollMs: 10);
            var elapsed = sw.Elapsed;
            if (!sigkill)
                Assert.That(holder.ExitCode, Is.Zero, holder.ToString());
            string daemonMounts = MountsOf(daemon, dir);
            Assert.That(gone, Is.True, $"the namespace (and the veth in it) should be gone within 2 s of the mount namespace's end; after {elapsed.TotalMilliseconds:F0} ms the host end is still there; daemon alive: {Processes.IsAlive(daemon)}; the daemon's own mount namespace holds: '{daemonMounts}'");
            Assert.That(Processes.WaitGone(daemon, TimeSpan.FromSeconds(2)), Is.True, "the daemon exited with its mount");
            Assert.That(Directory.Exists($"/run/netnsfs/{daemon}"), Is.False, "the daemon cleaned up its handoff directory");
        }
        finally
        {
            LifetimeKit.KillDaemon(daemon);
        }
    }

    /// <summary>Issue 17, item 13: SIGTERM to a daemon whose mount lives in a private mount
    /// namespace unmounts it over there (through nsenter given that namespace's fd), and the daemon
    /// exits. With <paramref name="fakeTools"/>, `nsenter` and `umount` first in the daemon's PATH
    /// are fakes that leave a mark: root must not run them (nor trust their "success").</summary>
    [TestCase(false, TestName = "SIGTERM_unmounts_a_mount_that_lives_in_a_private_mount_namespace")]
    [TestCase(true, TestName = "SIGTERM_unmounts_in_a_private_mount_namespace_without_running_the_nsenter_and_umount_found_in_PATH")]
    public void SIGTERM_unmounts_in_the_mounters_mount_namespace(bool fakeTools)
    {
        using var tmp = new TempDir("life");
        string dir = tmp.Sub("mnt");
        string evil = tmp.Sub("evil");
        string mark = Path.Combine(tmp.Path, "fake-ran");
        foreach (var tool in new[] { "nsenter", "umount" })
        {
            string fake = Path.Combine(evil, tool);
            File.WriteAllText(fake, $"#!/bin/sh\necho {tool} \"$@\" >> '{mark}'\nexit 0\n");
            File.SetUnixFileMode(fake, (UnixFileMode)0x1ED); // 0755
        }
        using var veth = new VethPair();
        using var veth2 = new VethPair();
        int daemon = 0;
        try
        {
            var settings = new Dictionary<string, string> { ["HOLD"] = "1", ["MULTI"] = "0", ["PEER2"] = veth2.Peer };
            if (fakeTools)
                settings["PATH"] = evil + ":" + Environment.GetEnvironmentVariable("PATH");
            using var holder = StartHolder(dir, veth, settings, out daemon);
            Assert.That(MountsOf(holder.Pid, dir), Is.Not.Empty, "mounted in the holder's mount namespace");

            Run.Checked(Run.Process("kill", ["-TERM", daemon.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10)));
            Assert.That(Processes.WaitGone(daemon, TimeSpan.FromSeconds(20)), Is.True, "the daemon exited with its mount");
            Assert.Multiple(() =>
            {
                Assert.That(MountsOf(holder.Pid, dir), Is.Empty, "unmounted in the mount namespace it lives in");
                Assert.That(File.Exists(mark) ? File.ReadAllText(mark) : "", Is.Empty, "the nsenter and umount of PATH never ran");
                Assert.That(holder.HasExited, Is.False, "the holder's namespace was used, not ended");
            });
            Assert.That(Await.Eventually(() => !veth.HostExists, TimeSpan.FromSeconds(5)), Is.True, "the created namespace went with the mount");
        }
        finally
        {
            LifetimeKit.KillDaemon(daemon);
        }
    }

    /// <summary>Issue 17, item 13: the SIGTERM handler never throws. Here the mounter's mount
    /// namespace has no usable nsenter (/dev/null bound over it, so the daemon's copy has none
    /// either): the unmount cannot run, which is logged, and the daemon still stops at its
    /// deadline and cleans up (a throwing handler would end it without that).</summary>
    [Test]
    public void A_SIGTERM_whose_unmount_cannot_run_is_logged_and_the_daemon_still_stops_cleanly()
    {
        using var tmp = new TempDir("life");
        string dir = tmp.Sub("mnt");
        string log = Path.Combine(tmp.Path, "daemon.log");
        using var veth = new VethPair();
        int daemon = 0;
        try
        {
            // The default stop_timeout (5 s).
            using var holder = StartHolder(dir, veth, new() { ["HOLD"] = "1", ["MULTI"] = "0", ["NO_NSENTER"] = "1", ["EXTRA"] = $"log={log}" }, out daemon);
            Run.Checked(Run.Process("kill", ["-TERM", daemon.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10)));
            Assert.That(Processes.WaitGone(daemon, TimeSpan.FromSeconds(20)), Is.True, "the daemon stopped");
            string text = File.ReadAllText(log);
            Assert.Multiple(() =>
            {
                Assert.That(text, Does.Contain("unmounting " + dir + " failed"), "the failed unmount is logged");
                Assert.That(text, Does.Contain(dir + " stopped; netnsfs exits"), "the daemon ended its own way, not by an exception");
                Assert.That(Directory.Exists($"/run/netnsfs/{daemon}"), Is.False, "and cleaned up its run directory");
            });
        }
        finally
        {
            LifetimeKit.KillDaemon(daemon);
        }
    }

    /// <summary>Runs <see cref="MountInPrivateNs"/> in a fresh private mount namespace with the
    /// binary under test, DIR and PEER set and <paramref name="settings"/> added, waits until it has
    /// mounted, and gives the daemon's pid.</summary>
    private static Background StartHolder(string dir, VethPair veth, Dictionary<string, string> settings, out int daemon)
    {
        var env = new Dictionary<string, string>(settings) { ["NETNSFS"] = Netnsfs.Binary, ["DIR"] = dir, ["PEER"] = veth.Peer };
        var holder = new Background("unshare", ["-m", "--propagation", "private", "/bin/bash", "-c", MountInPrivateNs], env);
        try
        {
            holder.WaitReady(TimeSpan.FromSeconds(60));
            daemon = int.Parse(holder.Lines.First(l => l.StartsWith("pid=", StringComparison.Ordinal))[4..], CultureInfo.InvariantCulture);
            return holder;
        }
        catch
        {
            holder.Dispose();
            throw;
        }
    }
}
