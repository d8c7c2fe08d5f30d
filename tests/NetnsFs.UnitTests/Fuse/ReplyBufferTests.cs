using NetnsFs.Fuse.Abi;
using NetnsFs.UnitTests.Files;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Fuse;

/// <summary>The buffer a READ's reply is built in: lent for one request, sent with its length, and
/// refused when used for another request, past its end, or after the thread lent its memory again.</summary>
public sealed class ReplyBufferTests
{
    private RequestBench _bench = null!;

    [SetUp]
    public void SetUp() => _bench = new RequestBench();

    [TearDown]
    public void TearDown() => _bench.Dispose();

    [Test]
    public void The_reply_is_the_first_bytes_of_what_was_filled_in()
    {
        var request = _bench.New(FuseOpcode.Read);
        var reply = request.TakeReplyBuffer(100);
        Assert.That(reply.Payload.Length, Is.EqualTo(100));
        "hello, world"u8.CopyTo(reply.Payload);
        Assert.That(request.ReplyData(reply, 5), Is.True);
        var (error, payload) = _bench.AnswerOf(request);
        Assert.That(error, Is.Zero);
        Assert.That(payload, Is.EqualTo("hello"u8.ToArray()));
    }

    [Test]
    public void An_empty_reply_is_end_of_file()
    {
        var request = _bench.New(FuseOpcode.Read);
        Assert.That(request.ReplyData(request.TakeReplyBuffer(4096), 0), Is.True);
        Assert.That(_bench.AnswerOf(request).Payload, Is.Empty);
    }

    [Test]
    public void A_buffer_holds_at_most_the_largest_read()
    {
        var request = _bench.New(FuseOpcode.Read);
        Assert.That(request.TakeReplyBuffer(int.MaxValue).Payload.Length, Is.EqualTo(FuseConstants.MaxPages * FuseConstants.PageSize + FuseConstants.PageSize - 16));
        Assert.That(request.TakeReplyBuffer(-1).Payload.Length, Is.Zero);
    }

    [Test]
    public void A_request_is_answered_once()
    {
        var request = _bench.New(FuseOpcode.Read);
        Assert.That(request.ReplyData(request.TakeReplyBuffer(10), 1), Is.True);
        Assert.That(request.ReplyData(request.TakeReplyBuffer(10), 1), Is.False);
    }

    [Test]
    public void Another_requests_buffer_is_refused()
    {
        var request = _bench.New(FuseOpcode.Read);
        var other = _bench.New(FuseOpcode.Read);
        Assert.That(() => request.ReplyData(other.TakeReplyBuffer(10), 1), Throws.ArgumentException);
        Assert.That(request.IsAnswered, Is.False);
    }

    [Test]
    public void A_length_past_the_buffer_is_refused()
    {
        var request = _bench.New(FuseOpcode.Read);
        Assert.That(() => request.ReplyData(request.TakeReplyBuffer(10), 11), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => request.ReplyData(request.TakeReplyBuffer(10), -1), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(request.IsAnswered, Is.False);
    }

    [Test]
    public void A_buffer_whose_memory_the_thread_lent_again_is_refused()
    {
        var request = _bench.New(FuseOpcode.Read);
        var other = _bench.New(FuseOpcode.Read);
        Assert.That(() =>
        {
            var first = request.TakeReplyBuffer(10);
            var second = other.TakeReplyBuffer(10); // the same memory: it would overwrite the first
            second.Payload[0] = 1;
            request.ReplyData(first, 1);
        }, Throws.InvalidOperationException);
        Assert.That(request.IsAnswered, Is.False);
    }

    [Test]
    public void Each_thread_lends_its_own_memory()
    {
        var request = _bench.New(FuseOpcode.Read);
        var reply = request.TakeReplyBuffer(10);
        reply.Payload[0] = 42;
        var t = new Thread(() =>
        {
            var other = _bench.New(FuseOpcode.Read);
            other.TakeReplyBuffer(10).Payload[0] = 7;
        });
        t.Start();
        t.Join();
        Assert.That(request.ReplyData(reply, 1), Is.True, "another thread's lending leaves this one good");
        Assert.That(_bench.AnswerOf(request).Payload, Is.EqualTo(new byte[] { 42 }));
    }
}
