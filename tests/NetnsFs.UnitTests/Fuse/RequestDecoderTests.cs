using System.Runtime.InteropServices;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Protocol;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Fuse;

/// <summary>Request bodies: short ones are refused, names need their NUL, compat-sized structs read
/// with a zeroed tail.</summary>
[TestFixture]
public sealed class RequestDecoderTests
{
    private static byte[] Header(uint len, FuseOpcode op, ulong unique, ulong node)
    {
        var h = new FuseInHeader { Len = len, Opcode = (uint)op, Unique = unique, NodeId = node, Uid = 1000, Gid = 100, Pid = 4242 };
        var b = new byte[len];
        MemoryMarshal.Write(b, in h);
        return b;
    }

    [Test]
    public void In_header_is_40_bytes() => Assert.That(RequestDecoder.InHeaderSize, Is.EqualTo(40));

    [Test]
    public void A_header_is_read_field_by_field()
    {
        byte[] b =
        [
            0x30, 0, 0, 0,            // len 48
            15, 0, 0, 0,              // READ
            0x11, 0x22, 0, 0, 0, 0, 0, 0x80, // unique
            0x05, 0, 0, 0, 0, 0, 0, 0,       // nodeid
            0xE8, 0x03, 0, 0,         // uid 1000
            0x64, 0, 0, 0,            // gid 100
            0x92, 0x10, 0, 0,         // pid 4242
            0x01, 0x00,               // total_extlen
            0x00, 0x00,               // padding
            1, 2, 3, 4, 5, 6, 7, 8,   // body
        ];
        Assert.That(RequestDecoder.TryReadHeader(b, out var h), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(h.Len, Is.EqualTo(48u));
            Assert.That((FuseOpcode)h.Opcode, Is.EqualTo(FuseOpcode.Read));
            Assert.That(h.Unique, Is.EqualTo(0x8000_0000_0000_2211UL));
            Assert.That(h.NodeId, Is.EqualTo(5UL));
            Assert.That(h.Uid, Is.EqualTo(1000u));
            Assert.That(h.Gid, Is.EqualTo(100u));
            Assert.That(h.Pid, Is.EqualTo(4242u));
            Assert.That(h.TotalExtLen, Is.EqualTo((ushort)1));
        });
    }

    [Test]
    public void A_message_shorter_than_a_header_is_refused()
    {
        var b = Header(40, FuseOpcode.GetAttr, 1, 1);
        Assert.That(RequestDecoder.TryReadHeader(b.AsSpan(0, 39), out _), Is.False);
        Assert.That(RequestDecoder.TryReadHeader([], out _), Is.False);
    }

    [Test]
    public void A_len_field_that_disagrees_with_the_read_is_refused()
    {
        var b = Header(64, FuseOpcode.Lookup, 1, 1);
        Assert.That(RequestDecoder.TryReadHeader(b, out _), Is.True);
        Assert.That(RequestDecoder.TryReadHeader(b.AsSpan(0, 60), out _), Is.False, "len 64 but 60 read");
        var longer = new byte[80];
        b.CopyTo(longer, 0);
        Assert.That(RequestDecoder.TryReadHeader(longer, out _), Is.False, "len 64 but 80 read");
    }

    [Test]
    public void A_struct_needs_its_whole_size()
    {
        var body = new byte[40];
        BitConverter.TryWriteBytes(body.AsSpan(0), 0xABCDUL);
        BitConverter.TryWriteBytes(body.AsSpan(16), 4096u);
        Assert.Multiple(() =>
        {
            Assert.That(RequestDecoder.TryRead<FuseReadIn>(body.AsSpan(0, 39), out var shortRead), Is.False);
            Assert.That(shortRead.Fh, Is.Zero, "a refused read leaves the default");
            Assert.That(RequestDecoder.TryRead<FuseReadIn>(body, out var r), Is.True);
            Assert.That(r.Fh, Is.EqualTo(0xABCDUL));
            Assert.That(r.Size, Is.EqualTo(4096u));
            Assert.That(RequestDecoder.TryRead<FuseInterruptIn>(new byte[7], out _), Is.False);
            Assert.That(RequestDecoder.TryRead<FuseInterruptIn>(new byte[8], out _), Is.True);
            Assert.That(RequestDecoder.TryRead<FusePollIn>(new byte[23], out _), Is.False);
        });
    }

    [Test]
    public void A_longer_body_reads_only_the_struct()
    {
        var body = new byte[100];
        body[0] = 7;
        Assert.That(RequestDecoder.TryRead<FuseOpenIn>(body, out var o), Is.True);
        Assert.That(o.Flags, Is.EqualTo(7u));
    }

    [Test]
    public void A_name_ends_at_its_nul_and_the_rest_follows()
    {
        Assert.That(RequestDecoder.TryReadName("hello\0target\0"u8, out var name, out var rest), Is.True);
        Assert.That(name.ToArray(), Is.EqualTo("hello"u8.ToArray()));
        Assert.That(rest.ToArray(), Is.EqualTo("target\0"u8.ToArray()));
        Assert.That(RequestDecoder.TryReadName(rest, out var target, out var after), Is.True, "SYMLINK's second name");
        Assert.That(target.ToArray(), Is.EqualTo("target"u8.ToArray()));
        Assert.That(after.Length, Is.Zero);
    }

    [Test]
    public void A_name_without_nul_is_refused()
    {
        Assert.That(RequestDecoder.TryReadName("hello"u8, out var name, out var rest), Is.False);
        Assert.That(name.Length + rest.Length, Is.Zero);
        Assert.That(RequestDecoder.TryReadName([], out _, out _), Is.False);
        Assert.That(RequestDecoder.TryReadName("first\0second"u8, out _, out var r2), Is.True);
        Assert.That(RequestDecoder.TryReadName(r2, out _, out _), Is.False, "second name of a SYMLINK without its NUL");
    }

    [Test]
    public void An_empty_name_is_just_a_nul()
    {
        Assert.That(RequestDecoder.TryReadName("\0"u8, out var name, out var rest), Is.True);
        Assert.That(name.Length, Is.Zero);
        Assert.That(rest.Length, Is.Zero);
    }

    [Test]
    public void Read_prefix_zero_fills_a_compat_sized_struct()
    {
        // A pre-7.36 kernel sends a 16-byte fuse_init_in; what lies after it in the buffer must not leak in.
        var buffer = new byte[64];
        Array.Fill(buffer, (byte)0xEE);
        BitConverter.TryWriteBytes(buffer.AsSpan(0), 7u);
        BitConverter.TryWriteBytes(buffer.AsSpan(4), 31u);
        BitConverter.TryWriteBytes(buffer.AsSpan(8), 0x20000u);
        BitConverter.TryWriteBytes(buffer.AsSpan(12), (uint)InitFlags.AsyncRead);
        var init = RequestDecoder.ReadPrefix<FuseInitIn>(buffer.AsSpan(0, 16));
        Assert.Multiple(() =>
        {
            Assert.That(init.Major, Is.EqualTo(7u));
            Assert.That(init.Minor, Is.EqualTo(31u));
            Assert.That(init.MaxReadahead, Is.EqualTo(0x20000u));
            Assert.That(init.Flags, Is.EqualTo((uint)InitFlags.AsyncRead));
            Assert.That(init.Flags2, Is.Zero, "flags2 absent: zero");
        });
        var bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<FuseInitIn>(in init)).ToArray();
        Assert.That(bytes[16..], Is.All.Zero, "the whole tail is zero");
    }

    [Test]
    public void Read_prefix_of_a_full_or_longer_body_reads_the_struct()
    {
        var body = new byte[20];
        BitConverter.TryWriteBytes(body.AsSpan(0), 3u);
        BitConverter.TryWriteBytes(body.AsSpan(8), 0x1234UL);
        var g = RequestDecoder.ReadPrefix<FuseGetAttrIn>(body);
        Assert.That(g.GetAttrFlags, Is.EqualTo(3u));
        Assert.That(g.Fh, Is.EqualTo(0x1234UL));
        var none = RequestDecoder.ReadPrefix<FuseGetAttrIn>([]);
        Assert.That(none.Fh, Is.Zero);
    }
}
