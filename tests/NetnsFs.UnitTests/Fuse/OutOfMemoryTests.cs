using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Fuse;

/// <summary>Issue 17 item 1: a handler that runs out of memory (as any allocation of a daemon under
/// memory pressure may) killed the reader thread, and with it the daemon. Now the request is
/// answered ENOMEM, the first time is logged, and the reader reads on.</summary>
public sealed class OutOfMemoryTests
{
    private sealed class Starved : FuseFileSystem
    {
        public override void StatFs(FuseRequest req, NodeId node) => throw new OutOfMemoryException("starved");
    }

    [Test]
    public void A_handler_out_of_memory_is_answered_ENOMEM_logged_once_and_the_reader_goes_on()
    {
        using var kernel = new FakeKernel(new Starved());
        kernel.Init();
        for (ulong unique = 10; unique < 13; unique++)
        {
            kernel.Send(FuseOpcode.StatFs, unique, 1, ReadOnlySpan<byte>.Empty);
            var r = kernel.Receive();
            Assert.That((r.Error, r.Unique), Is.EqualTo((-12, unique)), r.ToString());
        }
        kernel.SendRaw(9999, 20, 1, new byte[16]); // still reading: an unknown opcode is ENOSYS
        Assert.That(kernel.Receive().Error, Is.EqualTo(-38));
        Assert.Multiple(() =>
        {
            Assert.That(kernel.Session.OutOfMemoryCount, Is.EqualTo(3));
            Assert.That(kernel.Sink.Errors(), Has.Count.EqualTo(1).And.All.Contains("out of memory"), "logged once");
        });
    }
}
