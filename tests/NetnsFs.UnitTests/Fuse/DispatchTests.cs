using System.Runtime.InteropServices;
using System.Text;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.Fuse.Abi;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Fuse;

/// <summary>The session's request loop driven by a fake kernel (no mount): what goes in is exact
/// bytes, what comes out is checked byte for byte. Covers what a real kernel will not send on
/// demand: unknown opcodes, short bodies, INTERRUPT races, replies after an interrupt.</summary>
[TestFixture]
public sealed class DispatchTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private TestFileSystem _fs = null!;
    private FakeKernel _kernel = null!;

    [SetUp]
    public void SetUp()
    {
        _fs = new TestFileSystem();
        _kernel = new FakeKernel(_fs);
    }

    [TearDown]
    public void TearDown()
    {
        _kernel.Dispose();
        Assert.That(_kernel.Session.Ended.Wait(TimeSpan.FromSeconds(5)), Is.True, "the session ends when its device goes");
    }

    private void AssertNoErrorsLogged() => Assert.That(_kernel.Sink.Errors(), Is.Empty, "errors logged by the session");

    private ulong OpenEcho(ulong unique)
    {
        _kernel.Send(FuseOpcode.Open, unique, TestFileSystem.EchoIno, new FuseOpenIn { Flags = 2 /* O_RDWR */ });
        var r = _kernel.Receive();
        Assert.That((r.Error, r.Unique), Is.EqualTo((0, unique)), r.ToString());
        var open = r.As<FuseOpenOut>();
        Assert.That((OpenReplyFlags)open.OpenFlags, Is.EqualTo(OpenReplyFlags.StreamFile));
        return open.Fh;
    }

    private void SendRead(ulong unique, ulong fh, uint size = 4096, uint flags = 2) =>
        _kernel.Send(FuseOpcode.Read, unique, TestFileSystem.EchoIno, new FuseReadIn { Fh = fh, Size = size, Flags = flags });

    private void SendWrite(ulong unique, ulong fh, string data) =>
        _kernel.Send(FuseOpcode.Write, unique, TestFileSystem.EchoIno,
            FakeKernel.Body(new FuseWriteIn { Fh = fh, Size = (uint)Encoding.ASCII.GetByteCount(data), Flags = 2 }, Encoding.ASCII.GetBytes(data)));

    [Test]
    public void Init_is_answered_with_our_version_and_limits()
    {
        var r = _kernel.Init();
        Assert.That((r.Len, r.Error, r.Unique), Is.EqualTo((80u, 0, 1UL)), "header of the INIT reply");
        var init = r.As<FuseInitOut>();
        Assert.Multiple(() =>
        {
            Assert.That(init.Major, Is.EqualTo(7u));
            Assert.That(init.Minor, Is.EqualTo(38u));
            Assert.That(init.MaxWrite, Is.EqualTo(1u << 20));
            Assert.That(init.MaxPages, Is.EqualTo((ushort)256));
            Assert.That(init.MaxReadahead, Is.EqualTo(128u * 1024));
            Assert.That((InitFlags)init.Flags & InitFlags.WritebackCache, Is.EqualTo(InitFlags.None));
            Assert.That(_kernel.Session.Initialized.Wait(TimeSpan.FromSeconds(2)), Is.True, "Initialized completes");
            Assert.That(_kernel.Session.Connection?.MaxPages, Is.EqualTo((ushort)256));
            Assert.That(_fs.Connection, Is.Not.Null, "the filesystem was told");
        });
        AssertNoErrorsLogged();
    }

    [Test]
    public void Init_from_an_old_kernel_with_a_16_byte_body_is_accepted()
    {
        byte[] body = new byte[16];
        BitConverter.TryWriteBytes(body.AsSpan(0), 7u);
        BitConverter.TryWriteBytes(body.AsSpan(4), 26u);
        BitConverter.TryWriteBytes(body.AsSpan(8), 65536u);
        BitConverter.TryWriteBytes(body.AsSpan(12), (uint)(InitFlags.AsyncRead | InitFlags.BigWrites));
        _kernel.Send(FuseOpcode.Init, 1, 0, body);
        var r = _kernel.Receive();
        Assert.That(r.Error, Is.Zero);
        var init = r.As<FuseInitOut>();
        Assert.That(init.Minor, Is.EqualTo(26u));
        Assert.That(init.MaxPages, Is.EqualTo((ushort)32));
        Assert.That(init.MaxWrite, Is.LessThanOrEqualTo(32u * 4096));
    }

    [Test]
    public void Init_shorter_than_16_bytes_is_EINVAL()
    {
        _kernel.Send(FuseOpcode.Init, 1, 0, new byte[8]);
        var r = _kernel.Receive();
        Assert.That((r.Len, r.Error, r.Unique), Is.EqualTo((16u, -22, 1UL)));
        Assert.That(_kernel.Session.Initialized.IsCompleted, Is.False);
    }

    /// <summary>linux/fuse.h: "If the kernel supports a larger major version, then userspace shall
    /// reply with the major version it supports, ignore the rest of the INIT message and expect a
    /// new INIT message from the kernel with a matching major version."</summary>
    [Test]

    public void Init_from_a_newer_major_is_answered_with_major_7_and_a_second_init_follows()
    {
        var first = _kernel.Init(major: 8, minor: 0, unique: 1);
        Assert.That(first.Error, Is.Zero, "a larger kernel major is answered with our major, not an error");
        Assert.That(first.As<FuseInitOut>().Major, Is.EqualTo(7u));
        var second = _kernel.Init(major: 7, minor: 45, unique: 2);
        Assert.That((second.Error, second.Unique), Is.EqualTo((0, 2UL)));
        Assert.That(second.As<FuseInitOut>().Minor, Is.EqualTo(38u));
        Assert.That(_kernel.Session.Initialized.Wait(TimeSpan.FromSeconds(2)), Is.True);
    }

    [Test]
    public void Init_from_an_older_major_is_EPROTO()
    {
        _kernel.Init(major: 7);
        var fresh = new TestFileSystem();
        using var other = new FakeKernel(fresh);
        var r = other.Init(major: 6, minor: 0, unique: 5);
        Assert.That((r.Error, r.Unique), Is.EqualTo((-71 /* EPROTO */, 5UL)));
    }

    [TestCase(9999u)]
    [TestCase(12u /* RENAME: known, not implemented by the session */)]
    [TestCase(4096u /* CUSE_INIT */)]
    public void An_unknown_or_unhandled_opcode_is_ENOSYS(uint opcode)
    {
        _kernel.Init();
        _kernel.SendRaw(opcode, 77, 1, new byte[16]);
        var r = _kernel.Receive();
        Assert.That((r.Len, r.Error, r.Unique), Is.EqualTo((16u, -38, 77UL)));
        AssertNoErrorsLogged();
    }

    [Test]
    public void Short_bodies_are_EINVAL_and_logged()
    {
        _kernel.Init();
        _kernel.Send(FuseOpcode.Read, 10, TestFileSystem.EchoIno, new byte[39]);
        _kernel.Send(FuseOpcode.Lookup, 11, 1, "hello"u8); // no NUL
        _kernel.Send(FuseOpcode.Write, 12, TestFileSystem.EchoIno, FakeKernel.Body(new FuseWriteIn { Size = 10 }, "abc"u8)); // says 10, carries 3
        _kernel.Send(FuseOpcode.Open, 13, TestFileSystem.HelloIno, new byte[4]);
        _kernel.Send(FuseOpcode.Interrupt, 14, 0, new byte[7]);
        _kernel.Send(FuseOpcode.Poll, 15, TestFileSystem.EchoIno, new byte[16]);
        var replies = Enumerable.Range(0, 6).Select(_ => _kernel.Receive()).ToList();
        Assert.That(replies.Select(r => (r.Unique, r.Error, r.Len)), Is.EqualTo(new[]
        {
            (10UL, -22, 16u), (11UL, -22, 16u), (12UL, -22, 16u), (13UL, -22, 16u), (14UL, -22, 16u), (15UL, -22, 16u),
        }));
        Assert.That(_kernel.Sink.Errors(), Has.Count.EqualTo(6).And.All.Contains("too short"));
        Assert.That(_fs.BufferedEchoBytes, Is.Zero, "the short WRITE reached nobody");
    }

    [Test]
    public void Forget_and_batch_forget_get_no_reply()
    {
        _kernel.Init();
        _kernel.Send(FuseOpcode.Forget, 20, TestFileSystem.HelloIno, new FuseForgetIn { NLookup = 1 });
        var one = new FuseForgetOne { NodeId = 2, NLookup = 1 };
        _kernel.Send(FuseOpcode.BatchForget, 21, 0, FakeKernel.Body(new FuseBatchForgetIn { Count = 1 }, MemoryMarshal.AsBytes(new ReadOnlySpan<FuseForgetOne>(in one))));
        _kernel.Send(FuseOpcode.Forget, 22, TestFileSystem.HelloIno, new byte[3]); // even a broken one
        _kernel.Send(FuseOpcode.GetAttr, 23, TestFileSystem.HelloIno, new FuseGetAttrIn());
        var r = _kernel.Receive();
        Assert.That(r.Unique, Is.EqualTo(23UL), "the first reply is the GETATTR's");
        Assert.That(_kernel.TryReceive(Quiet), Is.Null);
    }

    [Test]
    public void Destroy_is_answered_empty()
    {
        _kernel.Init();
        _kernel.Send(FuseOpcode.Destroy, 30, 0, []);
        var r = _kernel.Receive();
        Assert.That((r.Len, r.Error, r.Unique), Is.EqualTo((16u, 0, 30UL)));
    }

    [Test]
    public void Open_of_the_stream_file_is_answered_byte_for_byte()
    {
        _kernel.Init();
        _kernel.Send(FuseOpcode.Open, 0x0102, TestFileSystem.EchoIno, new FuseOpenIn { Flags = 0 });
        var r = _kernel.Receive();
        ulong fh = r.As<FuseOpenOut>().Fh;
        byte[] expected =
        [
            .. BitConverter.GetBytes(fh),
            0x75, 0x00, 0x00, 0x00, // DIRECT_IO | NONSEEKABLE | STREAM | NOFLUSH | PARALLEL_DIRECT_WRITES
            0x00, 0x00, 0x00, 0x00,
        ];
        Assert.That((r.Len, r.Error, r.Unique), Is.EqualTo((32u, 0, 0x0102UL)));
        Assert.That(r.Payload, Is.EqualTo(expected));
        Assert.That(_fs.OpenEchoHandles, Is.EqualTo(1));
    }

    [Test]
    public void Getattr_of_the_stream_file_reports_1_TiB()
    {
        _kernel.Init();
        _kernel.Send(FuseOpcode.GetAttr, 40, TestFileSystem.EchoIno, new FuseGetAttrIn());
        var r = _kernel.Receive();
        Assert.That(r.Len, Is.EqualTo(16u + 104u));
        var attr = r.As<FuseAttrOut>().Attr;
        Assert.That((attr.Ino, attr.Size, attr.Mode), Is.EqualTo((6UL, 1UL << 40, Node.S_IFREG | ModeBits.ReadWrite)));
    }

    [Test]
    public void Readdir_is_a_stream_of_aligned_dirents()
    {
        _kernel.Init();
        _kernel.Send(FuseOpcode.ReadDir, 50, 1, new FuseReadIn { Size = 4096 });
        var r = _kernel.Receive();
        Assert.That(r.Error, Is.Zero);
        var names = new List<string>();
        for (int at = 0; at < r.Payload.Length;)
        {
            var d = MemoryMarshal.Read<FuseDirent>(r.Payload.AsSpan(at));
            names.Add(Encoding.ASCII.GetString(r.Payload, at + 24, (int)d.NameLen));
            at += (24 + (int)d.NameLen + 7) & ~7;
            Assert.That(d.Off, Is.EqualTo((ulong)names.Count), "off continues after this entry");
        }
        Assert.That(names, Is.EqualTo(new[] { ".", "..", "hello", "dir", "link", "echo" }));

        // A second call from the last offset returns nothing: end of directory.
        _kernel.Send(FuseOpcode.ReadDir, 51, 1, new FuseReadIn { Offset = 6, Size = 4096 });
        var end = _kernel.Receive();
        Assert.That((end.Len, end.Error), Is.EqualTo((16u, 0)));
    }

    [Test]
    public void A_deferred_read_is_answered_by_a_later_write()
    {
        _kernel.Init();
        ulong fh = OpenEcho(2);
        SendRead(3, fh);
        Assert.That(_kernel.TryReceive(Quiet), Is.Null, "no data: the read waits");
        Assert.That(_fs.PendingReads, Is.EqualTo(1));
        Assert.That(_kernel.Session.DeferredCount, Is.EqualTo(1));

        SendWrite(4, fh, "abc");
        var replies = new[] { _kernel.Receive(), _kernel.Receive() }.OrderBy(r => r.Unique).ToList();
        Assert.That((replies[0].Unique, replies[0].Error, Encoding.ASCII.GetString(replies[0].Payload)), Is.EqualTo((3UL, 0, "abc")));
        Assert.That((replies[1].Unique, replies[1].Error, replies[1].As<FuseWriteOut>().Size), Is.EqualTo((4UL, 0, 3u)));
        Assert.That(_kernel.Session.DeferredCount, Is.Zero);
        Assert.That(_fs.BufferedEchoBytes, Is.Zero);
        AssertNoErrorsLogged();
    }

    [Test]
    public void Interrupt_of_a_deferred_read_answers_EINTR_with_the_reads_unique()
    {
        _kernel.Init();
        ulong fh = OpenEcho(2);
        SendRead(0x100, fh);
        Assert.That(_fs.WaitUntil(f => f.PendingReads == 1, TimeSpan.FromSeconds(5)), Is.True);

        _kernel.Send(FuseOpcode.Interrupt, 0x100 | 1 /* FUSE_INT_REQ_BIT */ | 0x1000, 0, new FuseInterruptIn { Unique = 0x100 });
        var r = _kernel.Receive();
        Assert.That((r.Len, r.Error, r.Unique), Is.EqualTo((16u, -4 /* EINTR */, 0x100UL)));
        Assert.That(_kernel.TryReceive(Quiet), Is.Null, "INTERRUPT itself gets no reply");
        Assert.Multiple(() =>
        {
            Assert.That(_fs.PendingReads, Is.Zero, "the waiter was removed");
            Assert.That(_fs.Interrupts, Is.EqualTo(1));
            Assert.That(_kernel.Session.DeferredCount, Is.Zero);
        });
        AssertNoErrorsLogged();
    }

    [Test]
    public void Interrupt_of_an_unknown_request_is_EAGAIN_so_the_kernel_retries()
    {
        _kernel.Init();
        _kernel.Send(FuseOpcode.Interrupt, 0x201, 0, new FuseInterruptIn { Unique = 0x200 });
        var r = _kernel.Receive();
        Assert.That((r.Len, r.Error, r.Unique), Is.EqualTo((16u, -11 /* EAGAIN */, 0x201UL)));
    }

    [Test]
    public void After_an_interrupt_a_late_completion_does_not_reply_twice()
    {
        _kernel.Init();
        ulong fh = OpenEcho(2);
        SendRead(0x300, fh);
        Assert.That(_fs.WaitUntil(f => f.PendingReads == 1, TimeSpan.FromSeconds(5)), Is.True);
        _kernel.Send(FuseOpcode.Interrupt, 0x301, 0, new FuseInterruptIn { Unique = 0x300 });
        Assert.That(_kernel.Receive().Error, Is.EqualTo(-4));
        // A second INTERRUPT for the same request (the kernel may repeat it) finds nothing deferred.
        _kernel.Send(FuseOpcode.Interrupt, 0x303, 0, new FuseInterruptIn { Unique = 0x300 });
        Assert.That(_kernel.Receive().Unique, Is.EqualTo(0x303UL), "EAGAIN to the repeated interrupt, nothing for the read");

        SendWrite(0x302, fh, "x");
        var w = _kernel.Receive();
        Assert.That((w.Unique, w.Error), Is.EqualTo((0x302UL, 0)));
        Assert.That(_kernel.TryReceive(Quiet), Is.Null, "no second answer to the interrupted read");
        Assert.That(_fs.BufferedEchoBytes, Is.EqualTo(1), "the data stays for the next reader");

        SendRead(0x304, fh);
        var next = _kernel.Receive();
        Assert.That((next.Unique, Encoding.ASCII.GetString(next.Payload)), Is.EqualTo((0x304UL, "x")));
    }

    [Test]
    public void Poll_with_schedule_notify_gets_a_poll_wakeup_on_write()
    {
        _kernel.Init();
        ulong fh = OpenEcho(2);
        _kernel.Send(FuseOpcode.Poll, 3, TestFileSystem.EchoIno, new FusePollIn { Fh = fh, Kh = 0x7766554433221100, Flags = (uint)PollFlags.ScheduleNotify, Events = 1 });
        var p = _kernel.Receive();
        Assert.That(p.Unique, Is.EqualTo(3UL));
        Assert.That(p.As<FusePollOut>().REvents & TestFileSystem.PollIn, Is.Zero, "empty: not readable");

        SendWrite(4, fh, "hi");
        var messages = new[] { _kernel.Receive(), _kernel.Receive() };
        var notify = messages.Single(m => m.Unique == 0);
        Assert.That(messages.Single(m => m.Unique == 4).Error, Is.Zero);
        Assert.That((notify.Len, notify.Error), Is.EqualTo((24u, 1 /* FUSE_NOTIFY_POLL */)));
        Assert.That(notify.Payload, Is.EqualTo(new byte[] { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 }));

        _kernel.Send(FuseOpcode.Poll, 5, TestFileSystem.EchoIno, new FusePollIn { Fh = fh, Kh = 0x7766554433221100, Events = 1 });
        Assert.That(_kernel.Receive().As<FusePollOut>().REvents & TestFileSystem.PollIn, Is.Not.Zero, "data: readable");
    }

    [Test]
    public void A_nonblocking_read_of_an_empty_stream_is_EAGAIN()
    {
        _kernel.Init();
        ulong fh = OpenEcho(2);
        SendRead(3, fh, flags: 2 | 0x800);
        var r = _kernel.Receive();
        Assert.That((r.Unique, r.Error), Is.EqualTo((3UL, -11)));
        Assert.That(_kernel.Session.DeferredCount, Is.Zero);
    }

    [Test]
    public void Ending_the_session_answers_deferred_reads()
    {
        _kernel.Init();
        ulong fh = OpenEcho(2);
        SendRead(3, fh);
        SendRead(4, fh);
        Assert.That(_fs.WaitUntil(f => f.PendingReads == 2, TimeSpan.FromSeconds(5)), Is.True);
        _kernel.Dispose();
        Assert.That(_kernel.Session.Ended.Wait(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(_fs.PendingReads, Is.Zero, "every waiter was interrupted");
        Assert.That(_kernel.Session.DeferredCount, Is.Zero);
    }
}
