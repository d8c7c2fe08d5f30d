using NetnsFs.FileSystem.Files;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Files;

/// <summary>The mount's count of answered-but-held writes, and the end of the mount for the sockets
/// that hold or linger with such data.</summary>
public sealed class WriteBehindLedgerTests
{
    [Test]
    public void It_holds_at_most_its_maximum_of_writes_and_room_comes_back_on_release()
    {
        var ledger = new WriteBehindLedger(TimeSpan.FromSeconds(1));
        for (int i = 0; i < WriteBehindLedger.MaxHeldWrites; i++)
            Assert.That(ledger.TryHold(), Is.True, $"hold {i}");
        Assert.That(ledger.TryHold(), Is.False, "one more than the maximum");
        Assert.That(ledger.HeldWrites, Is.EqualTo(WriteBehindLedger.MaxHeldWrites));
        ledger.Release();
        Assert.That(ledger.HeldWrites, Is.EqualTo(WriteBehindLedger.MaxHeldWrites - 1));
        Assert.That(ledger.TryHold(), Is.True);
    }

    [Test]
    public void Concurrent_holds_never_pass_the_maximum()
    {
        var ledger = new WriteBehindLedger(TimeSpan.FromSeconds(1));
        int granted = 0;
        Parallel.For(0, 1000, _ =>
        {
            if (ledger.TryHold())
                Interlocked.Increment(ref granted);
        });
        Assert.That(granted, Is.EqualTo(WriteBehindLedger.MaxHeldWrites));
    }

    [TestCase(0, false)]
    [TestCase(1, true)]
    public void Write_behind_is_on_only_with_a_linger_time(int seconds, bool enabled) =>
        Assert.That(new WriteBehindLedger(TimeSpan.FromSeconds(seconds)).Enabled, Is.EqualTo(enabled));

    [Test]
    public void The_end_of_the_mount_closes_the_holders_and_ends_every_linger_counting_the_resets()
    {
        var ledger = new WriteBehindLedger(TimeSpan.FromSeconds(1));
        var open = new FakeHolder();
        var cut = new FakeHolder { ResetWhenEnded = true };
        var finished = new FakeHolder { ResetWhenEnded = false };
        ledger.StartHolding(open);
        ledger.StartLingering(cut);
        ledger.StartLingering(finished);
        Assert.That(ledger.LingeringSockets, Is.EqualTo(2));

        Assert.That(ledger.EndAll(), Is.EqualTo(1), "one was reset");
        Assert.That(open.Closes, Is.EqualTo(1), "an open socket holding answered data is closed (it then lingers)");
        Assert.That(cut.EndedBecause, Is.EqualTo(new[] { "the mount is going away" }));
        Assert.That(finished.EndedBecause, Is.EqualTo(new[] { "the mount is going away" }));
        Assert.That(open.EndedBecause, Is.Empty, "it never lingered");
    }

    [Test]
    public void A_socket_that_stopped_holding_or_lingering_is_left_alone_at_the_end()
    {
        var ledger = new WriteBehindLedger(TimeSpan.FromSeconds(1));
        var file = new FakeHolder();
        ledger.StartHolding(file);
        ledger.StopHolding(file);
        ledger.StartLingering(file);
        ledger.StopLingering(file);
        Assert.That(ledger.LingeringSockets, Is.Zero);
        Assert.That(ledger.EndAll(), Is.Zero);
        Assert.That(file.Closes, Is.Zero);
        Assert.That(file.EndedBecause, Is.Empty);
    }
}
