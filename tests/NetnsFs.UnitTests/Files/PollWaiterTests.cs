using NetnsFs.FileSystem.Files;
using NetnsFs.Net.Readiness;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Files;

/// <summary>A socket file's scheduled poll: one notification per schedule, for what it waits for.</summary>
public sealed class PollWaiterTests
{
    [Test]
    public void Nothing_is_waited_for_until_a_poll_is_scheduled()
    {
        var poll = new PollWaiter();
        Assert.That(poll.Wants, Is.EqualTo(IoEvents.None));
        Assert.That(poll.TakeWoken(IoEvents.In | IoEvents.Err), Is.Zero);
    }

    [Test]
    public void A_scheduled_poll_is_notified_once_when_its_event_comes()
    {
        var poll = new PollWaiter();
        poll.Schedule(7, IoEvents.In);
        Assert.That(poll.Wants, Is.EqualTo(IoEvents.In));
        Assert.That(poll.TakeWoken(IoEvents.Out), Is.Zero, "room is not what it waits for");
        Assert.That(poll.TakeWoken(IoEvents.In), Is.EqualTo(7UL));
        Assert.That(poll.TakeWoken(IoEvents.In), Is.Zero, "once: the kernel schedules again if it still waits");
        Assert.That(poll.Wants, Is.EqualTo(IoEvents.None));
    }

    [TestCase(IoEvents.Err)]
    [TestCase(IoEvents.Hup)]
    [TestCase(IoEvents.RdHup)]
    public void An_error_or_hang_up_ends_any_wait(IoEvents events)
    {
        var poll = new PollWaiter();
        poll.Schedule(9, IoEvents.Out);
        Assert.That(poll.TakeWoken(events), Is.EqualTo(9UL));
    }

    [Test]
    public void A_poll_naming_no_event_waits_for_data_or_room()
    {
        var poll = new PollWaiter();
        poll.Schedule(3, IoEvents.None);
        Assert.That(poll.Wants, Is.EqualTo(IoEvents.In | IoEvents.Out));
    }

    [Test]
    public void Only_data_urgent_data_and_room_are_waited_for_and_the_latest_schedule_counts()
    {
        var poll = new PollWaiter();
        poll.Schedule(1, IoEvents.In | IoEvents.Err);
        poll.Schedule(2, IoEvents.Pri | IoEvents.Out | IoEvents.Hup);
        Assert.That(poll.Wants, Is.EqualTo(IoEvents.Pri | IoEvents.Out));
        Assert.That(poll.TakeWoken(IoEvents.Out), Is.EqualTo(2UL));
    }

    [Test]
    public void A_cleared_poll_is_not_notified()
    {
        var poll = new PollWaiter();
        poll.Schedule(5, IoEvents.In);
        poll.Clear();
        Assert.That(poll.TakeWoken(IoEvents.In | IoEvents.Err), Is.Zero);
    }
}
