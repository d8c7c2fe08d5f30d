using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Protocol;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Fuse;

/// <summary>Replies byte for byte against hand-written expectations (little endian, fuse_out_header
/// then payload). The destination is pre-filled so that a stray write past the message shows.</summary>
[TestFixture]
public sealed class ReplyEncoderTests
{
    private const byte Fill = 0xCC;

    private static byte[] Buffer(int length = 256)
    {
        var b = new byte[length];
        Array.Fill(b, Fill);
        return b;
    }

    private static void AssertMessage(byte[] buffer, int returned, byte[] expected)
    {
        Assert.Multiple(() =>
        {
            Assert.That(returned, Is.EqualTo(expected.Length), "returned length");
            Assert.That(buffer[..expected.Length], Is.EqualTo(expected), "message bytes");
            Assert.That(buffer[expected.Length..], Is.All.EqualTo(Fill), "nothing written past the message");
        });
    }

    [Test]
    public void Out_header_is_16_bytes() => Assert.That(ReplyEncoder.OutHeaderSize, Is.EqualTo(16));

    [Test]
    public void Error_reply_is_a_bare_header_with_minus_errno()
    {
        var buf = Buffer();
        int n = ReplyEncoder.EncodeError(buf, new RequestId(0x0102030405060708), 2 /* ENOENT */);
        AssertMessage(buf, n,
        [
            0x10, 0x00, 0x00, 0x00,                         // len 16
            0xFE, 0xFF, 0xFF, 0xFF,                         // error -2
            0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // unique
        ]);
    }

    [Test]
    public void Error_reply_encodes_EINTR_and_large_errnos()
    {
        var buf = Buffer();
        ReplyEncoder.EncodeError(buf, new RequestId(7), 4 /* EINTR */);
        Assert.That(buf[4..8], Is.EqualTo(new byte[] { 0xFC, 0xFF, 0xFF, 0xFF }));
        ReplyEncoder.EncodeError(buf, new RequestId(7), 300);
        Assert.That(BitConverter.ToInt32(buf, 4), Is.EqualTo(-300));
    }

    [Test]
    public void Open_reply_is_header_then_fuse_open_out()
    {
        var buf = Buffer();
        var open = new FuseOpenOut { Fh = 0x1122334455667788, OpenFlags = (uint)OpenReplyFlags.StreamFile };
        int n = ReplyEncoder.Encode(buf, new RequestId(42), in open);
        AssertMessage(buf, n,
        [
            0x20, 0x00, 0x00, 0x00,                         // len 32
            0x00, 0x00, 0x00, 0x00,                         // error 0
            0x2A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // unique 42
            0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, // fh
            0x75, 0x00, 0x00, 0x00,                         // open_flags: DIRECT_IO|NONSEEKABLE|STREAM|NOFLUSH|PARALLEL_DIRECT_WRITES
            0x00, 0x00, 0x00, 0x00,                         // padding
        ]);
    }

    [Test]
    public void Stream_file_flags_are_direct_io_nonseekable_stream_noflush_parallel_writes() =>
        Assert.That((uint)OpenReplyFlags.StreamFile, Is.EqualTo(1u | 4u | 16u | 32u | 64u));

    [Test]
    public void Write_reply_carries_the_count()
    {
        var buf = Buffer();
        int n = ReplyEncoder.Encode(buf, new RequestId(0xFFFF_FFFF_FFFF_FFFE), new FuseWriteOut { Size = 0x00100000 });
        AssertMessage(buf, n,
        [
            0x18, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00,
            0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0x00, 0x00, 0x10, 0x00,                         // size 1 MiB
            0x00, 0x00, 0x00, 0x00,
        ]);
    }

    [Test]
    public void Notify_poll_has_unique_0_code_1_and_the_kernel_handle()
    {
        var buf = Buffer();
        int n = ReplyEncoder.EncodeNotify(buf, FuseNotifyCode.Poll, new FuseNotifyPollWakeupOut { Kh = 0xAABBCCDD00112233 });
        AssertMessage(buf, n,
        [
            0x18, 0x00, 0x00, 0x00,                         // len 24
            0x01, 0x00, 0x00, 0x00,                         // FUSE_NOTIFY_POLL in the error field
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // unique 0
            0x33, 0x22, 0x11, 0x00, 0xDD, 0xCC, 0xBB, 0xAA, // kh
        ]);
    }

    [Test]
    public void Header_of_a_data_reply_counts_the_payload()
    {
        var buf = Buffer();
        ReplyEncoder.WriteHeader(buf, new RequestId(9), 5);
        Assert.That(buf[..16], Is.EqualTo(new byte[] { 0x15, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0 }));
        Assert.That(buf[16..], Is.All.EqualTo(Fill));
    }

    [Test]
    public void Empty_success_reply_is_16_bytes_error_0()
    {
        var buf = Buffer();
        ReplyEncoder.WriteHeader(buf, new RequestId(3), 0);
        Assert.That(buf[..16], Is.EqualTo(new byte[] { 0x10, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0 }));
    }

    [Test]
    public void Inval_entry_is_header_struct_name_and_nul()
    {
        var buf = Buffer();
        int n = ReplyEncoder.EncodeInvalEntry(buf, new NodeId(0x0203), "ab"u8);
        AssertMessage(buf, n,
        [
            0x23, 0x00, 0x00, 0x00,                         // len 16 + 16 + 2 + 1 = 35
            0x03, 0x00, 0x00, 0x00,                         // FUSE_NOTIFY_INVAL_ENTRY
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // unique 0
            0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // parent
            0x02, 0x00, 0x00, 0x00,                         // namelen (without the NUL)
            0x00, 0x00, 0x00, 0x00,                         // flags
            (byte)'a', (byte)'b', 0x00,
        ]);
    }

    [Test]
    public void Attr_reply_places_the_attr_after_valid_fields()
    {
        var buf = Buffer(200);
        var attr = new FuseAttrOut { AttrValid = 1, AttrValidNsec = 2, Attr = new FuseAttr { Ino = 0x10, Size = 1UL << 40, Mode = 0x81B6, NLink = 1 } };
        int n = ReplyEncoder.Encode(buf, new RequestId(5), in attr);
        Assert.Multiple(() =>
        {
            Assert.That(n, Is.EqualTo(16 + 104));
            Assert.That(BitConverter.ToUInt32(buf, 0), Is.EqualTo(120u));
            Assert.That(BitConverter.ToUInt64(buf, 16), Is.EqualTo(1UL), "attr_valid");
            Assert.That(BitConverter.ToUInt32(buf, 24), Is.EqualTo(2u), "attr_valid_nsec");
            Assert.That(BitConverter.ToUInt64(buf, 32), Is.EqualTo(0x10UL), "attr.ino");
            Assert.That(BitConverter.ToUInt64(buf, 40), Is.EqualTo(1UL << 40), "attr.size");
            Assert.That(BitConverter.ToUInt32(buf, 32 + 60), Is.EqualTo(0x81B6u), "attr.mode at offset 60 of fuse_attr");
            Assert.That(BitConverter.ToUInt32(buf, 32 + 64), Is.EqualTo(1u), "attr.nlink");
            Assert.That(buf[n..], Is.All.EqualTo(Fill));
        });
    }
}
