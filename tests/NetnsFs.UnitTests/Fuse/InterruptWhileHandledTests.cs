using System.Runtime.InteropServices;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Fuse;

/// <summary>An INTERRUPT that arrives while the handler of its request still runs (on another
/// reader). Answering it EAGAIN would make the kernel send it again at once, and a reader spin on
/// it until the handler returns; instead the session keeps it and applies it when the handler
/// defers the request.</summary>
public sealed class InterruptWhileHandledTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    /// <summary>MKDIR waits until the test lets it go, then defers (or answers, if told to).</summary>
    private sealed class SlowMkdirFs : FuseFileSystem
    {
        public readonly ManualResetEventSlim Entered = new();
        public readonly ManualResetEventSlim Go = new();
        public bool AnswerInstead { get; init; }
        public int Interrupts;

        public override void MkDir(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint umask)
        {
            Entered.Set();
            Go.Wait(TimeSpan.FromSeconds(10));
            if (AnswerInstead)
            {
                req.ReplyError(Errno.EEXIST);
                return;
            }
            req.Defer(r =>
            {
                Interlocked.Increment(ref Interrupts);
                r.ReplyError(Errno.EINTR);
            });
        }
    }

    private static void SendMkdir(FakeKernel kernel, ulong unique)
    {
        var body = new byte[Marshal.SizeOf<FuseMkDirIn>() + 2];
        MemoryMarshal.Write(body, new FuseMkDirIn { Mode = ModeBits.DirectoryDefault });
        body[^2] = (byte)'d';
        kernel.Send(FuseOpcode.MkDir, unique, 1, body);
    }

    [Test]
    public void It_gets_no_EAGAIN_and_interrupts_the_request_once_deferred()
    {
        var fs = new SlowMkdirFs();
        using var kernel = new FakeKernel(fs, readers: 2);
        kernel.Init();
        SendMkdir(kernel, 0x500);
        Assert.That(fs.Entered.Wait(TimeSpan.FromSeconds(5)), Is.True, "the MKDIR handler runs");

        kernel.Send(FuseOpcode.Interrupt, 0x501, 0, new FuseInterruptIn { Unique = 0x500 });
        Assert.That(kernel.TryReceive(Quiet), Is.Null, "no EAGAIN while the handler runs (the kernel would resend at once)");

        fs.Go.Set();
        var r = kernel.Receive();
        Assert.Multiple(() =>
        {
            Assert.That((r.Unique, r.Error), Is.EqualTo((0x500UL, -4 /* EINTR */)), "deferred, then interrupted");
            Assert.That(fs.Interrupts, Is.EqualTo(1));
            Assert.That(kernel.Session.DeferredCount, Is.Zero);
        });
        Assert.That(kernel.TryReceive(Quiet), Is.Null, "one answer");
    }

    [Test]
    public void A_handler_that_answers_anyway_is_not_interrupted()
    {
        var fs = new SlowMkdirFs { AnswerInstead = true };
        using var kernel = new FakeKernel(fs, readers: 2);
        kernel.Init();
        SendMkdir(kernel, 0x600);
        Assert.That(fs.Entered.Wait(TimeSpan.FromSeconds(5)), Is.True);
        kernel.Send(FuseOpcode.Interrupt, 0x601, 0, new FuseInterruptIn { Unique = 0x600 });
        Assert.That(kernel.TryReceive(Quiet), Is.Null);
        fs.Go.Set();
        var r = kernel.Receive();
        Assert.That((r.Unique, r.Error), Is.EqualTo((0x600UL, -17 /* EEXIST */)));
        Assert.That(fs.Interrupts, Is.Zero);
        Assert.That(kernel.TryReceive(Quiet), Is.Null);
    }
}
