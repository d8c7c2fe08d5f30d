using NetnsFs.Fuse.Protocol;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Fuse;

/// <summary>READDIR records: 24-byte fuse_dirent header, the name, zero padding to 8 bytes; an entry
/// that does not fit is refused whole.</summary>
[TestFixture]
public sealed class DirentWriterTests
{
    [TestCase(0, 24)]
    [TestCase(1, 32)]
    [TestCase(7, 32)]
    [TestCase(8, 32)]
    [TestCase(9, 40)]
    [TestCase(255, 280)]
    public void Record_size_is_header_plus_name_rounded_to_8(int nameLength, int expected) =>
        Assert.That(DirentWriter.RecordSize(nameLength), Is.EqualTo(expected));

    [Test]
    public void One_record_byte_for_byte_with_zeroed_padding()
    {
        var buf = new byte[64];
        Array.Fill(buf, (byte)0xCC);
        var w = new DirentWriter(buf);
        Assert.That(w.TryAdd(0x0102030405060708, 3, 8 /* DT_REG */, "abc"u8), Is.True);
        Assert.That(w.Length, Is.EqualTo(32));
        byte[] expected =
        [
            0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // ino
            0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // off (of the next entry)
            0x03, 0x00, 0x00, 0x00,                         // namelen
            0x08, 0x00, 0x00, 0x00,                         // type
            (byte)'a', (byte)'b', (byte)'c', 0, 0, 0, 0, 0, // name, padded with zeros
        ];
        Assert.That(buf[..32], Is.EqualTo(expected));
        Assert.That(buf[32..], Is.All.EqualTo(0xCC), "nothing written past the record");
    }

    [Test]
    public void Records_follow_each_other_at_8_byte_boundaries()
    {
        var buf = new byte[256];
        var w = new DirentWriter(buf);
        string[] names = [".", "..", "hello", "a-name-of-17-char", "12345678"];
        int expectedOffset = 0;
        var offsets = new List<int>();
        for (int i = 0; i < names.Length; i++)
        {
            offsets.Add(w.Length);
            Assert.That(w.TryAdd((ulong)(100 + i), (ulong)(i + 1), 4, System.Text.Encoding.ASCII.GetBytes(names[i])), Is.True, names[i]);
            expectedOffset += DirentWriter.RecordSize(names[i].Length);
            Assert.That(w.Length, Is.EqualTo(expectedOffset));
        }
        for (int i = 0; i < names.Length; i++)
        {
            int at = offsets[i];
            Assert.That(at % 8, Is.Zero);
            Assert.That(BitConverter.ToUInt64(buf, at), Is.EqualTo((ulong)(100 + i)), "ino");
            Assert.That(BitConverter.ToUInt64(buf, at + 8), Is.EqualTo((ulong)(i + 1)), "off");
            Assert.That(BitConverter.ToUInt32(buf, at + 16), Is.EqualTo((uint)names[i].Length), "namelen");
            Assert.That(System.Text.Encoding.ASCII.GetString(buf, at + 24, names[i].Length), Is.EqualTo(names[i]));
        }
    }

    [Test]
    public void An_entry_that_does_not_fit_is_refused_and_nothing_is_written()
    {
        var buf = new byte[40];
        Array.Fill(buf, (byte)0xCC);
        var w = new DirentWriter(buf);
        Assert.That(w.TryAdd(1, 1, 4, "a"u8), Is.True);
        Assert.That(w.TryAdd(2, 2, 4, "b"u8), Is.False, "32 + 32 > 40");
        Assert.That(w.Length, Is.EqualTo(32));
        Assert.That(buf[32..], Is.All.EqualTo(0xCC));
    }

    [Test]
    public void An_exact_fit_is_accepted()
    {
        var buf = new byte[64];
        var w = new DirentWriter(buf);
        Assert.That(w.TryAdd(1, 1, 4, "a"u8), Is.True);
        Assert.That(w.TryAdd(2, 2, 4, "12345678"u8), Is.True);
        Assert.That(w.Length, Is.EqualTo(64));
        Assert.That(w.TryAdd(3, 3, 4, ""u8), Is.False);
    }

    [Test]
    public void A_buffer_smaller_than_one_header_takes_nothing()
    {
        var buf = new byte[23];
        var w = new DirentWriter(buf);
        Assert.That(w.TryAdd(1, 1, 4, ""u8), Is.False);
        Assert.That(w.Length, Is.Zero);
        var empty = new DirentWriter([]);
        Assert.That(empty.TryAdd(1, 1, 4, "x"u8), Is.False);
    }
}
