using NetnsFs.FileSystem.Limits;
using NetnsFs.Interop;
using NUnit.Framework;
using Serilog;

namespace NetnsFs.UnitTests.Limits;

/// <summary>The counting rules of the mount's limits, without a mount.</summary>
public sealed class MountLimitsTests
{
    private static MountLimits Small() =>
        new([2, 2, 2, 2, 2, 100], [3, 3, 3, 3, 3, 150], new LoggerConfiguration().CreateLogger());

    [Test]
    public void A_uid_is_held_to_its_cap_and_the_mount_to_its_own()
    {
        var l = Small();
        Assert.Multiple(() =>
        {
            Assert.That(l.TryTake(Resource.SocketFiles, 1000), Is.EqualTo((Errno)0));
            Assert.That(l.TryTake(Resource.SocketFiles, 1000), Is.EqualTo((Errno)0));
            Assert.That(l.TryTake(Resource.SocketFiles, 1000), Is.EqualTo(Errno.EMFILE), "per uid");
            Assert.That(l.TryTake(Resource.SocketFiles, 1001), Is.EqualTo((Errno)0));
            Assert.That(l.TryTake(Resource.SocketFiles, 1002), Is.EqualTo(Errno.EMFILE), "per mount");
            Assert.That(l.Refused(Resource.SocketFiles), Is.EqualTo(2));
        });
        l.Release(Resource.SocketFiles, 1000);
        Assert.That(l.TryTake(Resource.SocketFiles, 1002), Is.EqualTo((Errno)0), "released room is room again");
    }

    [Test]
    public void Root_is_counted_and_held_to_the_mount_cap_only()
    {
        var l = Small();
        for (int i = 0; i < 3; i++)
            Assert.That(l.TryTake(Resource.Listeners, 0), Is.EqualTo((Errno)0));
        Assert.Multiple(() =>
        {
            Assert.That(l.TryTake(Resource.Listeners, 0), Is.EqualTo(Errno.EMFILE), "the mount's cap holds for root");
            Assert.That(l.InUse(Resource.Listeners), Is.EqualTo(3));
        });
    }

    [Test]
    public void Each_resource_refuses_with_its_errno()
    {
        var l = Small();
        Assert.Multiple(() =>
        {
            Assert.That(l.TryTake(Resource.Namespaces, 5, 3), Is.EqualTo(Errno.ENOSPC));
            Assert.That(l.TryTake(Resource.HeldBytes, 5, 101), Is.EqualTo(Errno.ENOBUFS));
            Assert.That(l.TryTake(Resource.Handoffs, 5, 3), Is.EqualTo(Errno.EMFILE));
        });
    }

    [Test]
    public void A_charge_is_released_once_and_a_cancelled_one_that_is_owned_after_all_counts_again()
    {
        var l = Small();
        var c = l.Take(Resource.Snapshots, 7, out var e)!;
        Assert.That(e, Is.EqualTo((Errno)0));
        c.Dispose();
        c.Dispose();
        Assert.That(l.InUse(Resource.Snapshots), Is.Zero, "twice released, once counted back");
        var raced = l.Take(Resource.SocketFiles, 7, out _)!;
        raced.Cancel(); // an interrupt released it ...
        Assert.That(l.InUse(Resource.SocketFiles), Is.Zero);
        raced.Own();    // ... but the socket file was made after all
        Assert.That(l.InUse(Resource.SocketFiles), Is.EqualTo(1));
        raced.Cancel(); // owned: a late cancel does nothing
        Assert.That(l.InUse(Resource.SocketFiles), Is.EqualTo(1));
        raced.Dispose();
        Assert.That(l.InUse(Resource.SocketFiles), Is.Zero);
    }

    [Test]
    public void Per_mount_defaults_fit_under_the_fd_limit()
    {
        var log = new LoggerConfiguration().CreateLogger();
        var l = MountLimits.ForFdLimit(1024, null, log);
        long fds = l.PerMount(Resource.SocketFiles) + l.PerMount(Resource.Listeners) + l.PerMount(Resource.Handoffs) + 2 * l.PerMount(Resource.Namespaces);
        Assert.That(fds, Is.LessThanOrEqualTo(1024 - MountLimits.ReservedFds));
        var big = MountLimits.ForFdLimit(1 << 20, new Dictionary<string, ulong> { ["sockets"] = 10, ["mount_held"] = 1 }, log);
        Assert.Multiple(() =>
        {
            Assert.That(big.PerUid(Resource.SocketFiles), Is.EqualTo(10));
            Assert.That(big.PerMount(Resource.SocketFiles), Is.EqualTo(((1 << 20) - MountLimits.ReservedFds) * 5 / 8), "what the fds allow");
            Assert.That(big.PerMount(Resource.Snapshots), Is.EqualTo(4 * 64), "memory only: four users' worth");
            Assert.That(big.PerMount(Resource.HeldBytes), Is.EqualTo(1L << 20), "held data in MiB");
        });
    }
}
