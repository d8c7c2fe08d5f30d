using System.Buffers.Binary;
using System.Net;

namespace NetnsFs.Net.Names;

/// <summary>The two DNS messages a stub resolver needs (RFC 1035): a query for A or AAAA, and the
/// addresses in an answer. Bounds-checked throughout: a hostile answer is a failed lookup.</summary>
public static class DnsMessage
{
    public const ushort TypeA = 1;
    public const ushort TypeAaaa = 28;

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
            if (label.Length is 0 or > 63)
                return 0;
            buffer[at++] = (byte)label.Length;
            foreach (char c in label)
                buffer[at++] = (byte)c;
        }
        buffer[at++] = 0;
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
        Malformed,
        ServerFailure,
    }

    public static Result ParseAnswer(ReadOnlySpan<byte> msg, ushort id, ushort type, out IPAddress? address)
    {
        address = null;
        if (msg.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(msg) != id)
            return Result.Malformed;
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(msg[2..]);
        if ((flags & 0x8000) == 0)
            return Result.Malformed;
        int rcode = flags & 0xF;
        if (rcode == 3)
            return Result.NoSuchName;
        if (rcode != 0)
            return Result.ServerFailure;
        int qd = BinaryPrimitives.ReadUInt16BigEndian(msg[4..]);
        int an = BinaryPrimitives.ReadUInt16BigEndian(msg[6..]);
        int at = 12;
        for (int i = 0; i < qd; i++)
        {
            if (!SkipName(msg, ref at) || at + 4 > msg.Length)
                return Result.Malformed;
            at += 4;
        }
        for (int i = 0; i < an; i++)
        {
            if (!SkipName(msg, ref at) || at + 10 > msg.Length)
                return Result.Malformed;
            ushort rtype = BinaryPrimitives.ReadUInt16BigEndian(msg[at..]);
            int rdlen = BinaryPrimitives.ReadUInt16BigEndian(msg[(at + 8)..]);
            at += 10;
            if (at + rdlen > msg.Length)
                return Result.Malformed;
            if (rtype == type && ((type == TypeA && rdlen == 4) || (type == TypeAaaa && rdlen == 16)))
            {
                address = new IPAddress(msg.Slice(at, rdlen));
                return Result.Address;
            }
            at += rdlen;
        }
        return Result.NoAddress;
    }

    private static bool SkipName(ReadOnlySpan<byte> msg, ref int at)
    {
        for (int guard = 0; guard < 128 && at < msg.Length; guard++)
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
            at += 1 + len;
        }
        return false;
    }
}
