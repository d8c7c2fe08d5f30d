using NetnsFs.Net.Readiness;
using NetnsFs.UnitTests.Support;
using NUnit.Framework;
using Serilog;

namespace NetnsFs.UnitTests.Readiness;

/// <summary>The readiness engine's requeue: a listener that stops after a bounded amount of work is
/// called again on the engine's thread without a new epoll event, after the others that were ready.</summary>
public sealed class RequeueTests
{
    private sealed class Counting(ReadinessEngine engine, int rounds) : IReadinessListener
    {
        public ulong Key { get; set; }
        public int Calls;
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly List<string> Threads = [];

        public void OnReadiness(IoEvents events)
        {
            Threads.Add(Thread.CurrentThread.Name ?? "");
            if (++Calls < rounds)
                engine.Requeue(Key); // more work left: after the others
            else
                Done.TrySetResult();
        }
    }

    [Test]
    public void A_requeued_listener_is_called_again_on_the_engine_thread_until_it_is_done()
    {
        using var engine = new ReadinessEngine(new LoggerConfiguration().CreateLogger());
        var (fd0, fd1) = SeqPacketPair.Open();
        try
        {
            var a = new Counting(engine, 1000);
            var b = new Counting(engine, 1000);
            a.Key = engine.RegisterQuiet(fd0, a);
            b.Key = engine.RegisterQuiet(fd1, b);
            engine.Requeue(a.Key);
            engine.Requeue(b.Key);
            Assert.Multiple(() =>
            {
                Assert.That(Task.WaitAll([a.Done.Task, b.Done.Task], TimeSpan.FromSeconds(30)), Is.True, $"a {a.Calls}, b {b.Calls} calls");
                Assert.That(a.Threads.Concat(b.Threads).Distinct(), Is.EqualTo(new[] { "readiness" }), "on the engine's thread");
            });
            engine.Unregister(fd0, a.Key);
            engine.Unregister(fd1, b.Key);
        }
        finally
        {
            SeqPacketPair.HangUp(fd0);
            SeqPacketPair.HangUp(fd1);
        }
    }

    [Test]
    public void A_requeued_key_that_was_unregistered_is_dropped()
    {
        using var engine = new ReadinessEngine(new LoggerConfiguration().CreateLogger());
        var (fd0, fd1) = SeqPacketPair.Open();
        try
        {
            var gone = new Counting(engine, 2);
            gone.Key = engine.RegisterQuiet(fd0, gone);
            engine.Unregister(fd0, gone.Key);
            engine.Requeue(gone.Key);
            var after = new Counting(engine, 1);
            after.Key = engine.RegisterQuiet(fd1, after);
            engine.Requeue(after.Key);
            Assert.That(after.Done.Task.Wait(TimeSpan.FromSeconds(10)), Is.True);
            Assert.That(gone.Calls, Is.Zero);
            engine.Unregister(fd1, after.Key);
        }
        finally
        {
            SeqPacketPair.HangUp(fd0);
            SeqPacketPair.HangUp(fd1);
        }
    }
}
