using System.Text;
using NetnsFs.Client;
using NetnsFs.Interop;

namespace NetnsFs.FileSystem.Handoff;

/// <summary>Decoding of one handoff request datagram (HandoffWire): the path, 1 to
/// <see cref="HandoffWire.MaxRequest"/> bytes of strict UTF-8 without NUL, and optionally a NUL and
/// <see cref="HandoffWire.NonBlocking"/>. Pure, so that the fuzz target calls exactly what the daemon
/// calls on every datagram a client sends.</summary>
public static class HandoffRequest
{
    private static readonly UTF8Encoding Strict = new(false, true);

    /// <summary>0, the path and whether the client asked for a non-blocking dial; or EINVAL and why
    /// (the text of the reply).</summary>
    /// <param name="datagram">What one recv returned (a buffer of MaxDatagram + 1 bytes tells a
    /// longer request by its length).</param>
    public static Errno Decode(ReadOnlySpan<byte> datagram, out string path, out bool nonBlocking, out string problem)
    {
        path = "";
        problem = "";
        nonBlocking = false;
        int nul = datagram.IndexOf((byte)0);
        var pathBytes = nul < 0 ? datagram : datagram[..nul];
        if (pathBytes.Length is 0 or > HandoffWire.MaxRequest)
        {
            problem = "a request is 1 to 4096 bytes of UTF-8 without NUL";
            return Errno.EINVAL;
        }
        if (nul >= 0)
        {
            if (!datagram[(nul + 1)..].SequenceEqual(HandoffWire.NonBlockingBytes))
            {
                problem = "after the path's NUL the one option is \"nonblock\"";
                return Errno.EINVAL;
            }
            nonBlocking = true;
        }
        try
        {
            path = Strict.GetString(pathBytes);
        }
        catch (DecoderFallbackException)
        {
            problem = "the path is not UTF-8";
            nonBlocking = false;
            return Errno.EINVAL;
        }
        return 0;
    }
}
