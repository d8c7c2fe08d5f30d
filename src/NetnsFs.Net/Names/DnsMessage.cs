using System.Buffers.Binary;
using System.Net;

namespace NetnsFs.Net.Names;

/// <summary>The two DNS messages a stub resolver needs (RFC 1035): a query for A or AAAA, and the
/// addresses in an answer. Bounds-checked throughout: a hostile answer is a failed lookup.</summary>
public static class DnsMessage
{
    public const ushort TypeA = 1;
    public const ushort TypeAaaa = 28;

    /// <summary>Header flag bits (RFC 1035 4.1.1): a response, truncated, the response code.</summary>
    private const ushort FlagResponse = 0x8000, FlagTruncated = 0x0200, RcodeMask = 0xF;

    private const int RcodeNameError = 3, MaxLabel = 63, MaxName = 255;

    /// <summary>Writes a recursive query; returns its length, or 0 if the name cannot be encoded.</summary>
    public static int WriteQuery(Span<byte> buffer, ushort id, string name, ushort type)
    {
        if (buffer.Length < 12 + name.Length + 6)
            return 0;
        BinaryPrimitives.WriteUInt16BigEndian(buffer, id);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0x0100); // RD
        BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], 1);
        buffer[6..12].Clear();
        int at = 12;
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            if (label.Length is 0 or > MaxLabel)
                return 0;
            buffer[at++] = (byte)label.Length;
            foreach (char c in label)
            {
                if (c > 0x7F)
                    return 0; // a name on the wire is ASCII (IDNs travel as punycode)
                buffer[at++] = (byte)c;
            }
        }
        buffer[at++] = 0;
        if (at - 12 > MaxName)
            return 0;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[at..], type);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 2)..], 1); // IN
        return at + 4;
    }

    /// <summary>Outcome of parsing an answer.</summary>
    public enum Result
    {
        Address,
        NoSuchName,
        NoAddress,

        /// <summary>Not an answer to this query (another id, not a response, cut short or
        /// malformed): ignored, the answer may still come.</summary>
        Malformed,

        /// <summary>Any other response code (SERVFAIL, REFUSED, ...): the next server is asked.</summary>
        ServerFailure,

        /// <summary>The server cut the answer (TC) before an address: over UDP the next server is
        /// asked (no TCP fallback here).</summary>
        Truncated,
    }

    public static Result ParseAnswer(ReadOnlySpan<byte> msg, ushort id, ushort type, out IPAddress? address)
    {
        address = null;
        if (msg.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(msg) != id)
            return Result.Malformed;
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(msg[2..]);
        if ((flags & FlagResponse) == 0)
            return Result.Malformed;
        int rcode = flags & RcodeMask;
        if (rcode == RcodeNameError)
            return Result.NoSuchName;
        if (rcode != 0)
            return Result.ServerFailure;
        int qd = BinaryPrimitives.ReadUInt16BigEndian(msg[4..]);
        int an = BinaryPrimitives.ReadUInt16BigEndian(msg[6..]);
        int at = 12;
        // Cut short: what it holds up to the cut may still carry the address.
        var incomplete = (flags & FlagTruncated) != 0 ? Result.Truncated : Result.Malformed;
        for (int i = 0; i < qd; i++)
        {
            if (!SkipName(msg, ref at) || at + 4 > msg.Length)
                return incomplete;
            at += 4;
        }
        for (int i = 0; i < an; i++)
        {
            if (!SkipName(msg, ref at) || at + 10 > msg.Length)
                return incomplete;
            ushort rtype = BinaryPrimitives.ReadUInt16BigEndian(msg[at..]);
            int rdlen = BinaryPrimitives.ReadUInt16BigEndian(msg[(at + 8)..]);
            at += 10;
            if (at + rdlen > msg.Length)
                return incomplete;
            if (rtype == type && ((type == TypeA && rdlen == 4) || (type == TypeAaaa && rdlen == 16)))
            {
                address = new IPAddress(msg.Slice(at, rdlen));
                return Result.Address;
            }
            at += rdlen;
        }
        return (flags & FlagTruncated) != 0 ? Result.Truncated : Result.NoAddress;
    }

    /// <summary>Steps over a name: labels up to a root label or a compression pointer, which ends
    /// the name where it stands. Pointers are never followed (owner names are not compared; the
    /// id and the record type pick the answer), so a pointer loop cannot loop here.</summary>
    private static bool SkipName(ReadOnlySpan<byte> msg, ref int at)
    {
        int start = at;
        while (at < msg.Length && at - start <= MaxName)
        {
            byte len = msg[at];
            if (len == 0)
            {
                at++;
                return true;
            }
            if ((len & 0xC0) == 0xC0)
            {
                at += 2;
                return at <= msg.Length;
            }
            if ((len & 0xC0) != 0)
                return false; // label types 01 and 10 (RFC 6891 extended labels): none here
            at += 1 + len;
        }
        return false;
    }
}
