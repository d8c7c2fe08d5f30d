using NetnsFs.FileSystem.Files;
using NetnsFs.FileSystem.Limits;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Files;

/// <summary>A socket file's write queue and write-behind, driven with real requests (answered into a
/// pipe) and a fake socket that takes what the test lets it.</summary>
public sealed class WriteQueueTests
{
    private const uint Uid = 1000;
    private const int Large = WriteQueue.WriteBehindMinimum + 36 * 1024; // write-behind size

    private RequestBench _bench = null!;
    private FakeWriteSocket _socket = null!;
    private FakeHolder _holder = null!;
    private WriteBehindLedger _ledger = null!;
    private MountLimits _limits = null!;
    private WriteQueue _queue = null!;

    [SetUp]
    public void SetUp()
    {
        _bench = new RequestBench();
        _socket = new FakeWriteSocket();
        _holder = new FakeHolder();
        _ledger = new WriteBehindLedger(TimeSpan.FromMinutes(5));
        _limits = new MountLimits(MountLimits.DefaultPerUid, [.. MountLimits.DefaultPerUid.Select(n => n * 4)], Serilog.Core.Logger.None);
        _queue = NewQueue(_socket, _ledger);
    }

    [TearDown]
    public void TearDown()
    {
        _queue.Release();
        _bench.Dispose();
        _holder.Ended.Dispose();
    }

    private WriteQueue NewQueue(FakeWriteSocket socket, WriteBehindLedger? ledger)
    {
        var queue = new WriteQueue(socket, _holder, _ => { }, _bench.Session.RequestBufferSize, "test socket")
        {
            Ledger = ledger,
            Limits = _limits,
        };
        _holder.Queue = queue;
        return queue;
    }

    private (IoResult Result, FuseRequest Request, byte[] Data) Write(int length, bool nonBlocking = false, bool connecting = false)
    {
        var (request, data) = _bench.Write(length, Uid);
        var result = _queue.Write(request, RequestBench.InBuffer(request, data), nonBlocking, connecting);
        return (result, request, data);
    }

    /// <summary>A first send went through: the socket is connected, write-behind may begin.</summary>
    private byte[] Establish()
    {
        var (result, _, data) = Write(10);
        Assert.That(result, Is.EqualTo(IoResult.Count(10)));
        return data;
    }

    /// <summary>A connected socket that took the first 1 KiB of a large write, answered already:
    /// the rest is held. Returns the request and all the data the socket should end up with.</summary>
    private (FuseRequest Request, byte[] Expected) HoldAnswered()
    {
        var first = Establish();
        _socket.Room = 1024;
        var (result, request, data) = Write(Large);
        Assert.That(result, Is.EqualTo(IoResult.Answered));
        return (request, [.. first, .. data]);
    }

    private long Held => _limits.InUse(Resource.HeldBytes, Uid);

    [Test]
    public void A_write_the_socket_takes_whole_is_its_count_to_answer()
    {
        var (result, request, data) = Write(100);
        Assert.That(result, Is.EqualTo(IoResult.Count(100)));
        Assert.That(request.IsAnswered, Is.False, "answered by the caller, after the lock");
        Assert.That(_socket.Taken, Is.EqualTo(data));
        Assert.That(_queue.IsWaiting, Is.False);
    }

    [Test]
    public void A_blocking_write_the_socket_takes_part_of_waits_and_is_answered_with_all_once_sent()
    {
        _socket.Room = 30;
        var (result, request, data) = Write(100);
        Assert.That(result, Is.EqualTo(IoResult.Waiting));
        Assert.That(request.IsAnswered, Is.False);
        Assert.That(_queue.IsWaiting, Is.True, "the owner arms for room");
        Assert.That(Held, Is.Positive, "the kept rest is charged to its writer");

        _socket.Room = 50;
        _queue.Drain();
        Assert.That(request.IsAnswered, Is.False, "20 bytes still to go");
        _socket.Room = int.MaxValue;
        _queue.Drain();
        Assert.That(_bench.WrittenOf(request), Is.EqualTo(100u));
        Assert.That(_socket.Taken, Is.EqualTo(data));
        Assert.That(_queue.IsWaiting, Is.False);
        Assert.That(Held, Is.Zero, "released once sent");
    }

    [Test]
    public void Later_writes_wait_behind_a_queued_one_and_go_out_in_order()
    {
        _socket.Room = 0;
        var (_, first, a) = Write(40);
        var (second, secondRequest, b) = Write(60);
        Assert.That(second, Is.EqualTo(IoResult.Waiting));
        Assert.That(_socket.Sends, Is.EqualTo(1), "the second does not try the socket ahead of the first");
        _socket.Room = int.MaxValue;
        _queue.Drain();
        Assert.That(_bench.WrittenOf(first), Is.EqualTo(40u));
        Assert.That(_bench.WrittenOf(secondRequest), Is.EqualTo(60u));
        Assert.That(_socket.Taken, Is.EqualTo(a.Concat(b).ToArray()));
    }

    [Test]
    public void A_non_blocking_write_answers_what_went_out_or_EAGAIN()
    {
        _socket.Room = 30;
        Assert.That(Write(100, nonBlocking: true).Result, Is.EqualTo(IoResult.Count(30)));
        Assert.That(Write(100, nonBlocking: true).Result, Is.EqualTo(IoResult.Error(Errno.EAGAIN)));
        Assert.That(_queue.IsWaiting, Is.False);
    }

    [Test]
    public void Nothing_is_sent_while_a_connect_is_under_way()
    {
        var (result, _, _) = Write(100, connecting: true);
        Assert.That(result, Is.EqualTo(IoResult.Waiting));
        Assert.That(_socket.Sends, Is.Zero);
    }

    [Test]
    public void A_message_socket_that_took_anything_took_the_whole_message()
    {
        var socket = new FakeWriteSocket { KeepsMessageBoundaries = true, Room = 10 };
        _queue = NewQueue(socket, _ledger);
        Assert.That(Write(100).Result, Is.EqualTo(IoResult.Count(10)));
    }

    [Test]
    public void A_failed_send_is_the_errno_to_answer()
    {
        _socket.FailWith = Errno.EPIPE;
        Assert.That(Write(100).Result, Is.EqualTo(IoResult.Error(Errno.EPIPE)));
    }

    [Test]
    public void A_write_over_its_writers_cap_of_held_data_is_refused_ENOBUFS()
    {
        _limits = new MountLimits([.. MountLimits.DefaultPerUid.Select((n, i) => i == (int)Resource.HeldBytes ? 1L : n)], MountLimits.DefaultPerUid, Serilog.Core.Logger.None);
        _queue = NewQueue(_socket, _ledger);
        _socket.Room = 0;
        Assert.That(Write(100).Result, Is.EqualTo(IoResult.Error(Errno.ENOBUFS)));
        _socket.Room = 30;
        Assert.That(Write(100).Result, Is.EqualTo(IoResult.Count(30)), "what went out, as a socket without buffer space");
    }

    [Test]
    public void An_interrupted_waiting_write_reports_the_bytes_it_moved_or_EINTR()
    {
        _socket.Room = 30;
        var (_, moved, _) = Write(100);
        var (_, unmoved, _) = Write(100);
        _queue.TakeWaiting(moved)!.AnswerInterrupted();
        _queue.TakeWaiting(unmoved)!.AnswerInterrupted();
        Assert.That(_bench.WrittenOf(moved), Is.EqualTo(30u));
        Assert.That(_bench.ErrnoOf(unmoved), Is.EqualTo(Errno.EINTR));
        Assert.That(_queue.IsWaiting, Is.False);
        Assert.That(_queue.TakeWaiting(moved), Is.Null, "taken once");
        Assert.That(Held, Is.Zero);
    }

    [Test]
    public void A_large_write_to_a_connected_stream_is_answered_before_its_send_and_held()
    {
        var first = Establish();
        _socket.Room = 40 * 1024;
        var (result, request, data) = Write(Large);
        Assert.That(result, Is.EqualTo(IoResult.Answered));
        Assert.That(_bench.WrittenOf(request), Is.EqualTo((uint)Large), "the whole write, before the socket took it");
        Assert.That(_queue.HeldWrites, Is.EqualTo(1));
        Assert.That(_ledger.HeldWrites, Is.EqualTo(1));
        Assert.That(_socket.ResetsOnClose, Is.True, "while the daemon holds answered data, a close resets");
        Assert.That(Held, Is.Positive, "the held data is charged to its writer");

        _socket.Room = int.MaxValue;
        _queue.Drain();
        Assert.That(_socket.Taken, Is.EqualTo(first.Concat(data).ToArray()));
        Assert.That(_queue.HeldWrites, Is.Zero);
        Assert.That(_ledger.HeldWrites, Is.Zero);
        Assert.That(_socket.ResetsOnClose, Is.False, "all with the kernel: a close ends cleanly again");
        Assert.That(Held, Is.Zero);
    }

    [Test]
    public void A_large_write_the_socket_takes_at_once_is_answered_and_not_held()
    {
        Establish();
        var (result, request, _) = Write(Large);
        Assert.That(result, Is.EqualTo(IoResult.Answered));
        Assert.That(_bench.WrittenOf(request), Is.EqualTo((uint)Large));
        Assert.That(_ledger.HeldWrites, Is.Zero);
        Assert.That(_socket.ResetsOnClose, Is.False);
    }

    [Test]
    public void No_write_behind_before_the_first_send_for_small_writes_without_a_ledger_or_on_a_failed_connection()
    {
        _socket.Room = 0;
        Assert.That(Write(Large).Result, Is.EqualTo(IoResult.Waiting), "not connected yet");
        _queue.Release();

        _socket.Room = int.MaxValue;
        Establish();
        _socket.Room = 0;
        Assert.That(Write(WriteQueue.WriteBehindMinimum - 1).Result, Is.EqualTo(IoResult.Waiting), "small");
        _queue.Release();

        _socket.Failed = true;
        Assert.That(Write(Large).Result, Is.EqualTo(IoResult.Waiting), "reset already");
        _queue.Release();

        foreach (var ledger in new WriteBehindLedger?[] { null, new WriteBehindLedger(TimeSpan.Zero) })
        {
            var socket = new FakeWriteSocket();
            _queue = NewQueue(socket, ledger);
            Establish();
            socket.Room = 0;
            Assert.That(Write(Large).Result, Is.EqualTo(IoResult.Waiting), ledger is null ? "no ledger" : "linger 0");
            _queue.Release();
        }
    }

    [Test]
    public void No_write_behind_once_the_mount_holds_its_maximum()
    {
        for (int i = 0; i < WriteBehindLedger.MaxHeldWrites; i++)
            Assert.That(_ledger.TryHold(), Is.True);
        Establish();
        _socket.Room = 0;
        Assert.That(Write(Large).Result, Is.EqualTo(IoResult.Waiting));
        for (int i = 0; i < WriteBehindLedger.MaxHeldWrites; i++)
            _ledger.Release();
    }

    [Test]
    public void An_answered_writes_failed_send_is_the_next_writes_error_and_the_connection_stays_reset_on_close()
    {
        var (answered, _) = HoldAnswered();
        Assert.That(_bench.WrittenOf(answered), Is.EqualTo((uint)Large));
        _socket.FailWith = Errno.ECONNRESET;
        _queue.Drain();
        Assert.That(_queue.IsWaiting, Is.False, "dropped");
        Assert.That(_ledger.HeldWrites, Is.Zero);
        Assert.That(_socket.ResetsOnClose, Is.True, "the stream has a hole: it must never end cleanly");

        _socket.FailWith = 0;
        _socket.Room = int.MaxValue;
        Assert.That(Write(10).Result, Is.EqualTo(IoResult.Error(Errno.ECONNRESET)));
        Assert.That(Write(10).Result, Is.EqualTo(IoResult.Count(10)), "reported once");
    }

    [Test]
    public void A_write_waiting_behind_an_answered_one_that_fails_reports_the_failure()
    {
        HoldAnswered();
        var (_, waiting, _) = Write(100);
        _socket.FailWith = Errno.EPIPE;
        _queue.Drain();
        Assert.That(_bench.ErrnoOf(waiting), Is.EqualTo(Errno.EPIPE));
        Assert.That(_queue.IsWaiting, Is.False);
    }

    [Test]
    public void A_write_behind_send_that_fails_at_once_is_the_next_writes_error()
    {
        Establish();
        _socket.FailWith = Errno.EPIPE;
        var (result, request, _) = Write(Large);
        Assert.That(result, Is.EqualTo(IoResult.Answered));
        Assert.That(_bench.WrittenOf(request), Is.EqualTo((uint)Large));
        Assert.That(_ledger.HeldWrites, Is.Zero);
        _socket.FailWith = 0;
        Assert.That(Write(10).Result, Is.EqualTo(IoResult.Error(Errno.EPIPE)));
    }

    [Test]
    public void A_shutdown_of_the_write_side_waits_for_the_answered_data()
    {
        HoldAnswered();
        Assert.That(_queue.Shutdown(1), Is.EqualTo((Errno)0));
        Assert.That(_socket.Shutdowns, Is.Empty, "not before the answered data");
        _socket.Room = int.MaxValue;
        _queue.Drain();
        Assert.That(_socket.Shutdowns, Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public void A_shutdown_of_both_sides_closes_the_read_side_now_and_the_write_side_after_the_answered_data()
    {
        HoldAnswered();
        Assert.That(_queue.Shutdown(2), Is.EqualTo((Errno)0));
        Assert.That(_socket.Shutdowns, Is.EqualTo(new[] { 0 }));
        _socket.Room = int.MaxValue;
        _queue.Drain();
        Assert.That(_socket.Shutdowns, Is.EqualTo(new[] { 0, 1 }));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    public void A_shutdown_with_no_answered_data_is_the_sockets_at_once(int how)
    {
        _socket.Room = 0;
        Write(100); // waiting, not answered: it does not hold the shutdown back
        Assert.That(_queue.Shutdown(how), Is.EqualTo((Errno)0));
        Assert.That(_socket.Shutdowns, Is.EqualTo(new[] { how }));
    }

    [Test]
    public void Close_with_only_waiting_writes_answers_them_EBADF_and_lets_the_socket_go()
    {
        _socket.Room = 0;
        var (_, waiting, _) = Write(100);
        Assert.That(_queue.Close(), Is.False);
        Assert.That(_bench.ErrnoOf(waiting), Is.EqualTo(Errno.EBADF));
        Assert.That(_queue.IsLingering, Is.False);
        Assert.That(Held, Is.Zero);
    }

    [Test]
    public void Close_with_answered_data_lingers_and_sends_it_then_lets_the_socket_go()
    {
        var (_, expected) = HoldAnswered();
        var (_, waiting, _) = Write(100);
        Assert.That(_queue.Close(), Is.True, "the owner keeps the socket and arms it for room");
        Assert.That(_bench.ErrnoOf(waiting), Is.EqualTo(Errno.EBADF), "a write nobody was told of goes");
        Assert.That(_queue.IsLingering, Is.True);
        Assert.That(_ledger.LingeringSockets, Is.EqualTo(1));

        _socket.Room = 4096;
        Assert.That(_queue.KeepSending(), Is.False, "data left");
        _socket.Room = int.MaxValue;
        Assert.That(_queue.KeepSending(), Is.True, "all sent: the socket may go");
        Assert.That(_socket.Taken, Is.EqualTo(expected));
        Assert.That(_socket.ResetsOnClose, Is.False, "its close ends the stream cleanly");
        _queue.Release();
        Assert.That(_ledger.LingeringSockets, Is.Zero);
        Assert.That(_ledger.HeldWrites, Is.Zero);
    }

    [Test]
    public void Lingering_is_over_when_a_send_fails()
    {
        HoldAnswered();
        Assert.That(_queue.Close(), Is.True);
        _socket.FailWith = Errno.EPIPE;
        Assert.That(_queue.KeepSending(), Is.True);
        Assert.That(_socket.ResetsOnClose, Is.True, "data was lost");
    }

    [Test]
    public void Close_after_an_answered_write_failed_does_not_linger()
    {
        HoldAnswered();
        Write(100);
        _socket.FailWith = Errno.EPIPE;
        _queue.Drain(); // the answered one fails; the waiting one reports it
        Assert.That(_queue.Close(), Is.False);
    }

    [Test]
    public void Ending_the_linger_with_data_left_resets_the_connection()
    {
        HoldAnswered();
        Assert.That(_queue.Close(), Is.True);
        _socket.Room = 0;
        Assert.That(_queue.EndLinger("test"), Is.True, "reset");
        Assert.That(_socket.ResetsOnClose, Is.True);
    }

    [Test]
    public void Ending_the_linger_when_the_last_try_sends_everything_does_not_reset()
    {
        HoldAnswered();
        Assert.That(_queue.Close(), Is.True);
        _socket.Room = int.MaxValue;
        Assert.That(_queue.EndLinger("test"), Is.False);
        Assert.That(_socket.ResetsOnClose, Is.False);
    }

    [Test]
    public void The_linger_limit_ends_a_linger_that_makes_no_progress()
    {
        var ledger = new WriteBehindLedger(TimeSpan.FromMilliseconds(50));
        _queue = NewQueue(_socket, ledger);
        HoldAnswered();
        _socket.Room = 0;
        Assert.That(_queue.Close(), Is.True);
        Assert.That(_holder.Ended.Wait(TimeSpan.FromSeconds(30)), Is.True, "the limit fired");
        lock (_holder.EndedBecause)
            Assert.That(_holder.EndedBecause, Is.EqualTo(new[] { "nothing was taken for the linger time" }));
        Assert.That(_socket.ResetsOnClose, Is.True);
        Assert.That(ledger.LingeringSockets, Is.Zero);
    }
}
