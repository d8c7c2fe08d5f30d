using System.Buffers.Binary;
using System.Text;
using NetnsFs.Interop;

namespace NetnsFs.Client;

/// <summary>The handoff wire format, shared by the daemon and every client (C#, Python, C).
/// <para>Transport: a SOCK_SEQPACKET unix socket reached through the symlink MOUNT/handoff.</para>
/// <para>Request: one message, the path relative to the mount root in UTF-8, no NUL
/// ("tcp/127.0.0.1/80", "inet;dgram;udp", "tcp/listen/8080", "unix/@name"), at most 4096 bytes,
/// optionally followed by a NUL and the option <see cref="NonBlocking"/>: a dial then answers as soon
/// as its connect is under way, with a non-blocking socket (connect(2) on one gives EINPROGRESS).
/// No path holds a NUL, so the plain request stays what it always was.</para>
/// <para>Reply: one message: a 4-byte little-endian errno (0 = success), then UTF-8 text (what was
/// made, or why not). On success the message carries the socket as SCM_RIGHTS ancillary data.
/// Several requests may follow on one connection.</para></summary>
public static class HandoffWire
{
    public const string LinkName = "handoff";
    public const int MaxRequest = 4096;
    public const int MaxReply = 4096;

    /// <summary>The option after a request's NUL: answer a dial with its connect under way.</summary>
    public const string NonBlocking = "nonblock";

    /// <summary><see cref="NonBlocking"/> as it travels.</summary>
    public static ReadOnlySpan<byte> NonBlockingBytes => "nonblock"u8;

    /// <summary>The longest datagram a request can be: the path, a NUL and the option.</summary>
    public const int MaxDatagram = MaxRequest + 1 + 8;

    public static byte[] EncodeRequest(string path, bool nonBlocking = false)
    {
        var bytes = Encoding.UTF8.GetBytes(path);
        if (bytes.Length is 0 or > MaxRequest || Array.IndexOf(bytes, (byte)0) >= 0)
            throw new ArgumentException("a handoff path is 1 to 4096 bytes of UTF-8 without NUL", nameof(path));
        return nonBlocking ? [.. bytes, 0, .. NonBlockingBytes] : bytes;
    }

    public static int EncodeReply(Span<byte> buffer, int errno, string text)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer, errno);
        int n = Encoding.UTF8.GetBytes(text.AsSpan(0, Math.Min(text.Length, 1000)), buffer[4..]);
        return 4 + n;
    }

    public static (int Errno, string Text) DecodeReply(ReadOnlySpan<byte> message) =>
        message.Length < 4
            ? ((int)Errno.EPROTO, "short handoff reply")
            : (BinaryPrimitives.ReadInt32LittleEndian(message), Encoding.UTF8.GetString(message[4..]));
}
