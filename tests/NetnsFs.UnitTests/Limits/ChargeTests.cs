using NetnsFs.FileSystem.Limits;
using NetnsFs.Interop;
using NetnsFs.UnitTests.Fuse;
using NUnit.Framework;
using Serilog;

namespace NetnsFs.UnitTests.Limits;

/// <summary>How a use is counted and released (MountLimits over its per-resource counters, and the
/// Charge that holds one use), what status says, how refusals are logged.</summary>
public sealed class ChargeTests
{
    private static ILogger Quiet => Serilog.Core.Logger.None;

    /// <summary>2 per uid and 3 per mount of each resource; held data 100 and 150 bytes.</summary>
    private static MountLimits Small(ILogger? log = null) => new([2, 2, 2, 2, 2, 100], [3, 3, 3, 3, 3, 150], log ?? Quiet);

    [Test]
    public void Each_uid_is_counted_apart_and_the_mount_in_total()
    {
        var l = Small();
        l.TryTake(Resource.Listeners, 1000);
        l.TryTake(Resource.Listeners, 1001);
        l.TryTake(Resource.Listeners, 1001);
        Assert.Multiple(() =>
        {
            Assert.That(l.InUse(Resource.Listeners, 1000), Is.EqualTo(1));
            Assert.That(l.InUse(Resource.Listeners, 1001), Is.EqualTo(2));
            Assert.That(l.InUse(Resource.Listeners, 1002), Is.Zero);
            Assert.That(l.InUse(Resource.Listeners), Is.EqualTo(3));
            Assert.That(l.InUse(Resource.SocketFiles), Is.Zero, "resources are counted apart");
        });
        l.Release(Resource.Listeners, 1001);
        l.Release(Resource.Listeners, 1001);
        Assert.That((l.InUse(Resource.Listeners, 1001), l.InUse(Resource.Listeners)), Is.EqualTo((0L, 1L)));
    }

    [Test]
    public void An_amount_is_taken_whole_or_not_at_all()
    {
        var l = Small();
        Assert.That(l.TryTake(Resource.HeldBytes, 7, 60), Is.EqualTo((Errno)0));
        Assert.That(l.TryTake(Resource.HeldBytes, 7, 41), Is.EqualTo(Errno.ENOBUFS), "60 + 41 > 100 per uid");
        Assert.That(l.InUse(Resource.HeldBytes, 7), Is.EqualTo(60), "a refused amount is not counted in part");
        Assert.That(l.TryTake(Resource.HeldBytes, 7, 40), Is.EqualTo((Errno)0), "60 + 40 = 100 fits");
        Assert.That(l.TryTake(Resource.HeldBytes, 8, 51), Is.EqualTo(Errno.ENOBUFS), "100 + 51 > 150 per mount");
        Assert.That(l.Refused(Resource.HeldBytes), Is.EqualTo(2));
    }

    [Test]
    public void What_exists_already_is_counted_past_the_caps_and_blocks_new_uses_until_released()
    {
        var l = Small();
        for (int i = 0; i < 4; i++)
            l.TakeAnyway(Resource.SocketFiles, 5);
        Assert.Multiple(() =>
        {
            Assert.That(l.InUse(Resource.SocketFiles, 5), Is.EqualTo(4), "past both caps");
            Assert.That(l.Refused(Resource.SocketFiles), Is.Zero, "not a refusal");
            Assert.That(l.TryTake(Resource.SocketFiles, 6), Is.EqualTo(Errno.EMFILE), "the mount is full");
        });
        for (int i = 0; i < 3; i++)
            l.Release(Resource.SocketFiles, 5);
        Assert.That(l.TryTake(Resource.SocketFiles, 6), Is.EqualTo((Errno)0));
    }

    [Test]
    public void A_refused_take_gives_no_charge_and_the_errno()
    {
        var l = Small();
        Assert.That(l.Take(Resource.Namespaces, 9, out _, 2), Is.Not.Null);
        var refused = l.Take(Resource.Namespaces, 9, out var e);
        Assert.That((refused, e), Is.EqualTo(((Charge?)null, Errno.ENOSPC)));
    }

    [Test]
    public void A_charge_names_what_it_holds()
    {
        var c = Small().Take(Resource.HeldBytes, 42, out _, 17)!;
        Assert.That((c.Resource, c.Uid, c.Amount), Is.EqualTo((Resource.HeldBytes, 42u, 17L)));
    }

    [Test]
    public void Owning_a_pending_charge_counts_it_once()
    {
        var l = Small();
        var c = l.Take(Resource.SocketFiles, 7, out _)!;
        Assert.That(c.Own(), Is.SameAs(c));
        c.Own();
        Assert.That(l.InUse(Resource.SocketFiles), Is.EqualTo(1), "owning is no second use");
        c.Cancel();
        Assert.That(l.InUse(Resource.SocketFiles), Is.EqualTo(1), "an owned charge is not cancelled");
        c.Dispose();
        Assert.That(l.InUse(Resource.SocketFiles), Is.Zero);
    }

    [Test]
    public void A_cancelled_charge_is_not_released_again_by_its_disposal()
    {
        var l = Small();
        var other = l.Take(Resource.Listeners, 7, out _)!;
        var c = l.Take(Resource.Listeners, 7, out _)!;
        c.Cancel();
        c.Cancel();
        c.Dispose();
        Assert.That(l.InUse(Resource.Listeners), Is.EqualTo(1), "only the other charge is left");
        other.Dispose();
    }

    [Test]
    public void Status_lists_each_resource_with_its_use_caps_and_refusals()
    {
        var l = Small();
        l.TryTake(Resource.SocketFiles, 1);
        l.TryTake(Resource.HeldBytes, 1, 99);
        l.TryTake(Resource.HeldBytes, 1, 2);
        Assert.That(l.Status.Split('\n'), Is.EqualTo(new[]
        {
            "limit_sockets=1/2/3", "refused_sockets=0",
            "limit_listeners=0/2/3", "refused_listeners=0",
            "limit_handoffs=0/2/3", "refused_handoffs=0",
            "limit_namespaces=0/2/3", "refused_namespaces=0",
            "limit_snapshots=0/2/3", "refused_snapshots=0",
            "limit_held_bytes=99/100/150", "refused_held_bytes=1",
        }));
    }

    [Test]
    public void A_burst_of_refusals_is_one_log_line_per_resource()
    {
        var sink = new CollectingSink();
        var l = Small(new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger());
        Assert.That(l.TryTake(Resource.Handoffs, 0, 3), Is.EqualTo((Errno)0), "root fills the mount's cap");
        for (int i = 0; i < 20; i++)
        {
            l.TryTake(Resource.Handoffs, 1);
            l.TryTake(Resource.Listeners, 1, 5);
        }
        var lines = sink.Warnings();
        Assert.That(lines, Has.Count.EqualTo(2), string.Join('\n', lines));
        Assert.That(lines, Has.Exactly(1).Matches<string>(x => x.Contains("\"handoffs\" refused to uid 1", StringComparison.Ordinal) && x.Contains("mount_max_handoffs", StringComparison.Ordinal)),
            "the mount's cap refused the handoffs: its option is named");
        Assert.That(lines, Has.Exactly(1).Matches<string>(x => x.Contains("\"listeners\" refused to uid 1", StringComparison.Ordinal)));
        Assert.That(l.Refused(Resource.Handoffs), Is.EqualTo(20), "every refusal counts, logged or not");
    }

    [TestCase(Resource.SocketFiles, Errno.EMFILE)]
    [TestCase(Resource.Listeners, Errno.EMFILE)]
    [TestCase(Resource.Handoffs, Errno.EMFILE)]
    [TestCase(Resource.Snapshots, Errno.EMFILE)]
    [TestCase(Resource.Namespaces, Errno.ENOSPC)]
    [TestCase(Resource.HeldBytes, Errno.ENOBUFS)]
    public void Each_shortage_has_the_errno_a_program_expects(Resource r, Errno e) =>
        Assert.That(MountLimits.ErrnoOf(r), Is.EqualTo(e));

    [Test]
    public void Option_names_are_in_resource_order()
    {
        Assert.That(Enum.GetValues<Resource>().Select(r => MountLimits.Names[(int)r]),
            Is.EqualTo(new[] { "sockets", "listeners", "handoffs", "namespaces", "snapshots", "held" }));
        Assert.That(MountLimits.IndexOf("held"), Is.EqualTo((int)Resource.HeldBytes));
        Assert.That(MountLimits.IndexOf("bogus"), Is.EqualTo(-1));
    }

    [Test]
    public void Overrides_set_one_cap_each_and_an_unknown_name_is_refused()
    {
        var l = MountLimits.ForFdLimit(4096, new Dictionary<string, ulong> { ["listeners"] = 7, ["mount_snapshots"] = 9, ["held"] = 3 }, Quiet);
        Assert.Multiple(() =>
        {
            Assert.That(l.PerUid(Resource.Listeners), Is.EqualTo(7));
            Assert.That(l.PerMount(Resource.Snapshots), Is.EqualTo(9));
            Assert.That(l.PerUid(Resource.HeldBytes), Is.EqualTo(3L << 20), "held in MiB");
            Assert.That(l.PerUid(Resource.SocketFiles), Is.EqualTo(4096), "the default where none is given");
        });
        Assert.Throws<ArgumentException>(() => MountLimits.ForFdLimit(4096, new Dictionary<string, ulong> { ["bogus"] = 1 }, Quiet));
        Assert.Throws<ArgumentException>(() => _ = new MountLimits([1, 2], [1, 2], Quiet), "one cap per resource");
    }

    [Test]
    public void A_tiny_fd_limit_still_leaves_each_resource_room()
    {
        var l = MountLimits.ForFdLimit(10, null, Quiet);
        Assert.Multiple(() =>
        {
            foreach (var r in new[] { Resource.SocketFiles, Resource.Listeners, Resource.Handoffs, Resource.Namespaces })
                Assert.That(l.PerMount(r), Is.Positive, r.ToString());
        });
    }
}
