using System.Text;
using NetnsFs.Client;
using NetnsFs.FileSystem.Handoff;
using NetnsFs.Interop;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Handoff;

/// <summary>The handoff wire format (NetnsFs.Client.HandoffWire) byte for byte, and the daemon's
/// decoding of a request datagram (HandoffRequest): 1 to 4096 bytes of strict UTF-8 without NUL.</summary>
public sealed class HandoffWireTests
{
    [Test]
    public void A_request_is_the_path_in_UTF8_without_a_terminator()
    {
        Assert.That(HandoffWire.EncodeRequest("tcp/127.0.0.1/80"), Is.EqualTo("tcp/127.0.0.1/80"u8.ToArray()));
        Assert.That(HandoffWire.EncodeRequest("unix/@é"), Is.EqualTo(new byte[] { (byte)'u', (byte)'n', (byte)'i', (byte)'x', (byte)'/', (byte)'@', 0xC3, 0xA9 }));
    }

    [Test]
    public void A_request_of_4096_bytes_is_the_longest()
    {
        Assert.That(HandoffWire.EncodeRequest(new string('a', 4096)), Has.Length.EqualTo(4096));
        Assert.Throws<ArgumentException>(() => HandoffWire.EncodeRequest(new string('a', 4097)));
        Assert.Throws<ArgumentException>(() => HandoffWire.EncodeRequest(new string('é', 2049)), "4098 bytes in 2049 characters");
    }

    [TestCase("")]
    [TestCase("tcp/\0/80")]
    public void An_empty_request_or_one_with_a_NUL_is_refused_by_the_client(string path) =>
        Assert.Throws<ArgumentException>(() => HandoffWire.EncodeRequest(path));

    [Test]
    public void A_reply_is_a_little_endian_errno_then_text()
    {
        var buf = new byte[HandoffWire.MaxReply];
        int n = HandoffWire.EncodeReply(buf, 111, "refused");
        byte[] expected = [111, 0, 0, 0, .. "refused"u8];
        Assert.That(buf[..n], Is.EqualTo(expected));
        n = HandoffWire.EncodeReply(buf, -2, "");
        Assert.That(buf[..n], Is.EqualTo(new byte[] { 0xFE, 0xFF, 0xFF, 0xFF }));
    }

    [Test]
    public void A_reply_text_is_cut_at_1000_characters()
    {
        var buf = new byte[HandoffWire.MaxReply];
        int n = HandoffWire.EncodeReply(buf, 0, new string('x', 3000));
        Assert.That(n, Is.EqualTo(4 + 1000));
        Assert.That(HandoffWire.DecodeReply(buf.AsSpan(0, n)), Is.EqualTo((0, new string('x', 1000))));
    }

    [Test]
    public void A_reply_decodes_to_what_was_encoded()
    {
        var buf = new byte[HandoffWire.MaxReply];
        int n = HandoffWire.EncodeReply(buf, 13, "permission denied: ü");
        Assert.That(HandoffWire.DecodeReply(buf.AsSpan(0, n)), Is.EqualTo((13, "permission denied: ü")));
    }

    [TestCase(0)]
    [TestCase(3)]
    public void A_reply_shorter_than_its_errno_is_EPROTO(int length) =>
        Assert.That(HandoffWire.DecodeReply(new byte[length]), Is.EqualTo(((int)Errno.EPROTO, "short handoff reply")));

    [TestCase("tcp/127.0.0.1/80")]
    [TestCase("inet;dgram;udp")]
    [TestCase("unix/@name with spaces")]
    [TestCase("tcp/münchen.example/443")]
    public void The_daemon_decodes_what_the_client_encodes(string path)
    {
        Assert.That(HandoffRequest.Decode(HandoffWire.EncodeRequest(path), out string decoded, out bool nonBlocking, out string problem), Is.EqualTo((Errno)0));
        Assert.That((decoded, nonBlocking, problem), Is.EqualTo((path, false, "")));
    }

    [Test]
    public void The_daemon_takes_4096_bytes_and_refuses_4097()
    {
        Assert.That(HandoffRequest.Decode(Encoding.ASCII.GetBytes(new string('a', 4096)), out _, out _, out _), Is.EqualTo((Errno)0));
        Assert.That(HandoffRequest.Decode(Encoding.ASCII.GetBytes(new string('a', 4097)), out string path, out _, out string problem), Is.EqualTo(Errno.EINVAL));
        Assert.That((path, problem), Is.EqualTo(("", "a request is 1 to 4096 bytes of UTF-8 without NUL")));
    }

    [TestCase(new byte[0], "a request is 1 to 4096 bytes of UTF-8 without NUL")]
    [TestCase(new byte[] { (byte)'t', 0, (byte)'p' }, "after the path's NUL the one option is \"nonblock\"")]
    [TestCase(new byte[] { (byte)'c', 0xE9, (byte)'t' }, "the path is not UTF-8")] // Latin-1
    [TestCase(new byte[] { 0xC0, 0xAF }, "the path is not UTF-8")] // overlong '/'
    [TestCase(new byte[] { 0xED, 0xA0, 0x80 }, "the path is not UTF-8")] // a UTF-16 surrogate
    [TestCase(new byte[] { 0xF0, 0x9F, 0x98 }, "the path is not UTF-8")] // cut in the middle of a character
    public void The_daemon_refuses_a_malformed_request_with_EINVAL_and_why(byte[] datagram, string why)
    {
        Assert.That(HandoffRequest.Decode(datagram, out string path, out bool nonBlocking, out string problem), Is.EqualTo(Errno.EINVAL));
        Assert.That((path, nonBlocking, problem), Is.EqualTo(("", false, why)));
    }

    [Test]
    public void A_non_blocking_request_is_the_path_a_NUL_and_nonblock_and_decodes_back()
    {
        var bytes = HandoffWire.EncodeRequest("tcp/127.0.0.1/80", nonBlocking: true);
        Assert.That(bytes, Is.EqualTo("tcp/127.0.0.1/80\0nonblock"u8.ToArray()));
        Assert.That(HandoffRequest.Decode(bytes, out string path, out bool nonBlocking, out string problem), Is.EqualTo((Errno)0));
        Assert.That((path, nonBlocking, problem), Is.EqualTo(("tcp/127.0.0.1/80", true, "")));
        var longest = HandoffWire.EncodeRequest(new string('a', 4096), nonBlocking: true);
        Assert.That(longest, Has.Length.EqualTo(HandoffWire.MaxDatagram));
        Assert.That(HandoffRequest.Decode(longest, out _, out nonBlocking, out _), Is.EqualTo((Errno)0));
        Assert.That(nonBlocking, Is.True);
    }

    [TestCase("tcp/127.0.0.1/80\0", "after the path's NUL the one option is \"nonblock\"")]
    [TestCase("tcp/127.0.0.1/80\0nonblockx", "after the path's NUL the one option is \"nonblock\"")]
    [TestCase("tcp/127.0.0.1/80\0nonblock\0nonblock", "after the path's NUL the one option is \"nonblock\"")]
    [TestCase("\0nonblock", "a request is 1 to 4096 bytes of UTF-8 without NUL")]
    public void A_request_with_anything_but_nonblock_after_its_NUL_is_refused(string datagram, string why)
    {
        Assert.That(HandoffRequest.Decode(Encoding.UTF8.GetBytes(datagram), out string path, out bool nonBlocking, out string problem), Is.EqualTo(Errno.EINVAL));
        Assert.That((path, nonBlocking, problem), Is.EqualTo(("", false, why)));
    }
}
