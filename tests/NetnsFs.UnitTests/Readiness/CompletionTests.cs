using NetnsFs.Net.Readiness;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Readiness;

/// <summary>The one cancellation primitive: an answer exactly once or a cancel exactly once, what it
/// owns freed on cancel, and nothing of it called back while its lock is held.</summary>
[TestFixture]
public sealed class CompletionTests
{
    private static readonly TimeSpan Deadlock = TimeSpan.FromSeconds(10);

    /// <summary>A resource or step that counts its disposals and notes their order.</summary>
    private sealed class Probe(List<string>? order = null, string name = "", bool over = false) : IOperation
    {
        public int Disposed;

        public bool IsOver => over;

        public void Dispose()
        {
            Interlocked.Increment(ref Disposed);
            lock (order ?? [])
                order?.Add(name);
        }
    }

    [Test]
    public void Racing_complete_and_cancel_end_it_exactly_once()
    {
        const int Rounds = 2_000;
        int delivered = 0, cancelled = 0, discarded = 0, owned = 0;
        using var start = new Barrier(2);
        Completion<int>? current = null;
        Probe? resource = null;
        var completer = new Thread(() =>
        {
            for (int i = 0; i < Rounds; i++)
            {
                start.SignalAndWait();
                current!.Complete(i);
                start.SignalAndWait();
            }
        });
        completer.Start();
        for (int i = 0; i < Rounds; i++)
        {
            current = new Completion<int>(_ => Interlocked.Increment(ref delivered), _ => Interlocked.Increment(ref discarded));
            resource = new Probe();
            current.Own(resource);
            start.SignalAndWait();
            if (current.Cancel())
                cancelled++;
            start.SignalAndWait();
            owned += resource.Disposed;
            Assert.That(current.IsOver, Is.True);
        }
        completer.Join();
        Assert.Multiple(() =>
        {
            Assert.That(delivered + cancelled, Is.EqualTo(Rounds), "each round ended once: delivered or cancelled");
            Assert.That(discarded, Is.EqualTo(cancelled), "a result that lost to the cancel was handed to discard");
            Assert.That(owned, Is.EqualTo(cancelled), "the owned resource was freed exactly when it was cancelled");
        });
    }

    [Test]
    public void Two_racing_completions_deliver_one_and_discard_the_other()
    {
        for (int round = 0; round < 5_000; round++)
        {
            int delivered = 0, discarded = 0;
            var c = new Completion<int>(_ => Interlocked.Increment(ref delivered), _ => Interlocked.Increment(ref discarded));
            Parallel.Invoke(() => c.Complete(1), () => c.Complete(2));
            Assert.That((delivered, discarded), Is.EqualTo((1, 1)));
        }
    }

    [Test]
    public void Cancel_frees_what_it_owns_and_cancels_the_step_first_newest_owned_first()
    {
        var order = new List<string>();
        var c = new Completion<int>(_ => Assert.Fail("delivered after a cancel"));
        c.Own(new Probe(order, "socket"));
        c.Own(new Probe(order, "registration"));
        c.Attach(new Probe(order, "step"));
        Assert.That(c.Cancel(), Is.True);
        Assert.That(c.Cancel(), Is.False, "a second cancel is a no-op");
        c.Dispose();
        Assert.That(order, Is.EqualTo(new[] { "step", "registration", "socket" }));
        Assert.That(c.Complete(7), Is.False);
    }

    [Test]
    public void Delivery_keeps_what_it_owns_and_the_step_for_the_winner()
    {
        var owned = new Probe();
        var step = new Probe();
        int got = 0;
        var c = new Completion<int>(v => got = v);
        c.Own(owned);
        c.Attach(step);
        Assert.That(c.Complete(42), Is.True);
        Assert.That(c.Cancel(), Is.False, "cancel after delivery is a no-op");
        Assert.Multiple(() =>
        {
            Assert.That(got, Is.EqualTo(42));
            Assert.That(owned.Disposed, Is.Zero, "the delivered result's resources are the receiver's");
            Assert.That(step.Disposed, Is.Zero);
        });
    }

    [Test]
    public void Owned_or_attached_after_a_cancel_is_freed_at_once()
    {
        var c = new Completion<int>(_ => { });
        c.Cancel();
        var late = new Probe();
        var step = new Probe();
        Assert.That(c.Own(late), Is.False);
        c.Attach(step);
        Assert.That((late.Disposed, step.Disposed), Is.EqualTo((1, 1)));
    }

    [Test]
    public void A_step_that_answered_before_its_start_returned_does_not_replace_the_next_one()
    {
        // lookup then connect: the name came from the hosts file, so the lookup's callback attached
        // the connect before the lookup's start returned; attaching the (over) lookup afterwards
        // must not displace the connect, or a cancel would leave the connect waiting for ever.
        var c = new Completion<int>(_ => Assert.Fail("delivered after a cancel"));
        var connect = new Probe(name: "connect");
        var lookup = new Probe(name: "lookup", over: true);
        c.Attach(connect);
        c.Attach(lookup);
        c.Cancel();
        Assert.That((connect.Disposed, lookup.Disposed), Is.EqualTo((1, 0)));
    }

    [Test]
    public void The_answer_runs_outside_the_lock_a_callback_that_waits_for_another_thread_using_it_does_not_deadlock()
    {
        Completion<int>? c = null;
        bool otherFinished = false;
        c = new Completion<int>(_ =>
        {
            // The open's lock is taken here, and a cancel under that lock comes from another thread.
            var other = new Thread(() => otherFinished = !c!.Cancel() && c.IsOver && c.Own(new Probe()));
            other.Start();
            bool joined = other.Join(Deadlock); // read the thread's result only after it ended
            otherFinished &= joined;
        });
        RunBounded(() => c.Complete(1));
        Assert.That(otherFinished, Is.True, "another thread used the completion while its answer ran");
    }

    [Test]
    public void The_step_is_cancelled_outside_the_lock_a_step_whose_cancel_answers_it_does_not_deadlock()
    {
        Completion<int>? c = null;
        int discarded = 0;
        bool joined = false;
        var step = new CallbackStep(() =>
        {
            // A step cancelled while its answer is under way on another thread (the readiness one).
            var other = new Thread(() => c!.Complete(5));
            other.Start();
            joined = other.Join(Deadlock);
        });
        c = new Completion<int>(_ => Assert.Fail("delivered after a cancel"), _ => discarded++);
        c.Attach(step);
        RunBounded(() => c.Cancel());
        Assert.That((joined, discarded), Is.EqualTo((true, 1)));
    }

    [Test]
    public void A_callback_that_re_enters_on_its_own_thread_runs_once()
    {
        int calls = 0;
        Completion<int>? c = null;
        c = new Completion<int>(_ =>
        {
            calls++;
            c!.Complete(2);
            c.Cancel();
        });
        RunBounded(() => c.Complete(1));
        Assert.That(calls, Is.EqualTo(1));
    }

    [Test]
    public void Claim_then_deliver_answers_once_and_blocks_a_cancel_in_between()
    {
        int got = 0;
        var c = new Completion<int>(v => got = v);
        var owned = new Probe();
        c.Own(owned);
        Assert.That(c.TryClaim(), Is.True);
        Assert.That(c.TryClaim(), Is.False);
        Assert.That(c.IsOver, Is.True, "over from the claim on: steps and cancels see it");
        Assert.That(c.Cancel(), Is.False);
        c.Deliver(3);
        Assert.That((got, owned.Disposed), Is.EqualTo((3, 0)));
        Assert.Throws<InvalidOperationException>(() => c.Deliver(4));
    }

    [Test]
    public void Deliver_without_a_claim_is_refused()
    {
        var c = new Completion<int>(_ => { });
        Assert.Throws<InvalidOperationException>(() => c.Deliver(1));
    }

    private sealed class CallbackStep(Action onDispose) : IDisposable
    {
        public void Dispose() => onDispose();
    }

    private static void RunBounded(Action action)
    {
        var t = new Thread(() => action()) { IsBackground = true };
        t.Start();
        Assert.That(t.Join(Deadlock), Is.True, "deadlocked: a callback ran under the completion's lock");
    }
}
