using NetnsFs.FileSystem.Files;
using NetnsFs.Interop;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Files;

/// <summary>A socket file's read or write result: a count, an errno, or nothing to answer, each apart.</summary>
public sealed class IoResultTests
{
    [Test]
    public void A_count_is_answered_with_its_bytes()
    {
        var r = IoResult.Count(42);
        Assert.That(r.Outcome, Is.EqualTo(IoOutcome.Count));
        Assert.That(r.Bytes, Is.EqualTo(42));
        Assert.That(r.Errno, Is.EqualTo((Errno)0));
        Assert.That(r.IsToAnswer, Is.True);
    }

    [Test]
    public void Zero_bytes_is_a_count_not_an_error()
    {
        Assert.That(IoResult.Count(0).Outcome, Is.EqualTo(IoOutcome.Count));
        Assert.That(IoResult.OfCall(0), Is.EqualTo(IoResult.Count(0)));
    }

    [Test]
    public void An_error_is_answered_with_its_errno()
    {
        var r = IoResult.Error(Errno.EPIPE);
        Assert.That(r.Outcome, Is.EqualTo(IoOutcome.Error));
        Assert.That(r.Errno, Is.EqualTo(Errno.EPIPE));
        Assert.That(r.Bytes, Is.Zero);
        Assert.That(r.IsToAnswer, Is.True);
    }

    [Test]
    public void Waiting_and_answered_leave_nothing_to_answer_and_differ()
    {
        Assert.That(IoResult.Waiting.IsToAnswer, Is.False);
        Assert.That(IoResult.Answered.IsToAnswer, Is.False);
        Assert.That(IoResult.Waiting, Is.Not.EqualTo(IoResult.Answered));
    }

    [TestCase(7, true, 7, 0)]
    [TestCase(-11, false, 0, 11)] // -EAGAIN
    [TestCase(-32, false, 0, 32)] // -EPIPE
    public void A_socket_calls_count_or_minus_errno_maps_to_its_outcome(int call, bool isCount, int bytes, int errno)
    {
        var r = IoResult.OfCall(call);
        Assert.That(r.Outcome, Is.EqualTo(isCount ? IoOutcome.Count : IoOutcome.Error));
        Assert.That(r.Bytes, Is.EqualTo(bytes));
        Assert.That((int)r.Errno, Is.EqualTo(errno));
    }

    [Test]
    public void A_negative_count_or_errno_0_is_refused()
    {
        Assert.That(() => IoResult.Count(-1), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => IoResult.Error(0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void It_reads_as_what_it_holds() =>
        Assert.That(new[] { IoResult.Count(3).ToString(), IoResult.Error(Errno.EPIPE).ToString(), IoResult.Waiting.ToString() },
            Is.EqualTo(new[] { "3 bytes", "EPIPE", "Waiting" }));
}
