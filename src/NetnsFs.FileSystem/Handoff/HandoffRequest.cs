using System.Text;
using NetnsFs.Client;
using NetnsFs.Interop;

namespace NetnsFs.FileSystem.Handoff;

/// <summary>Decoding of one handoff request datagram (HandoffWire): the path, 1 to
/// <see cref="HandoffWire.MaxRequest"/> bytes of strict UTF-8 without NUL. Pure, so that the fuzz
/// target calls exactly what the daemon calls on every datagram a client sends.</summary>
public static class HandoffRequest
{
    private static readonly UTF8Encoding Strict = new(false, true);

    /// <summary>0 and the path, or EINVAL and why (the text of the reply).</summary>
    /// <param name="datagram">What one recv returned (a buffer of MaxRequest + 1 bytes tells a
    /// longer request by its length).</param>
    public static Errno Decode(ReadOnlySpan<byte> datagram, out string path, out string problem)
    {
        path = "";
        problem = "";
        if (datagram.Length is 0 or > HandoffWire.MaxRequest || datagram.IndexOf((byte)0) >= 0)
        {
            problem = "a request is 1 to 4096 bytes of UTF-8 without NUL";
            return Errno.EINVAL;
        }
        try
        {
            path = Strict.GetString(datagram);
        }
        catch (DecoderFallbackException)
        {
            problem = "the path is not UTF-8";
            return Errno.EINVAL;
        }
        return 0;
    }
}
