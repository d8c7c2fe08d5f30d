using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NetnsFs.Fuse.Abi;

namespace NetnsFs.Fuse.Protocol;

/// <summary>Reads ABI structs and names out of a request body. Every read is bounds-checked: a short
/// body is a protocol error (EINVAL to the kernel, a log line), never an out-of-range read.</summary>
public static class RequestDecoder
{
    public static readonly int InHeaderSize = Unsafe.SizeOf<FuseInHeader>();

    /// <summary>Decodes the header of a request (all of <paramref name="request"/>); false if it is
    /// shorter than a header or its len field disagrees with what was read.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> request, out FuseInHeader header)
    {
        if (request.Length < InHeaderSize)
        {
            header = default;
            return false;
        }
        header = MemoryMarshal.Read<FuseInHeader>(request);
        return header.Len == (uint)request.Length;
    }

    /// <summary>The opcode of a whole request, before it is decoded; false if it has no header.</summary>
    public static bool TryPeekOpcode(ReadOnlySpan<byte> request, out FuseOpcode opcode)
    {
        opcode = default;
        if (request.Length < InHeaderSize)
            return false;
        opcode = (FuseOpcode)MemoryMarshal.Read<FuseInHeader>(request).Opcode;
        return true;
    }

    /// <summary>The struct at the start of <paramref name="body"/>; false when the body is too short.</summary>
    public static bool TryRead<T>(ReadOnlySpan<byte> body, out T value) where T : unmanaged
    {
        if (body.Length < Unsafe.SizeOf<T>())
        {
            value = default;
            return false;
        }
        value = MemoryMarshal.Read<T>(body);
        return true;
    }

    /// <summary>Reads a struct whose kernel-sent size may be shorter than ours (older protocol
    /// minors send compat sizes): the missing tail reads as zero.</summary>
    public static T ReadPrefix<T>(ReadOnlySpan<byte> body) where T : unmanaged
    {
        T value = default;
        var dst = MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref value, 1));
        body[..Math.Min(body.Length, dst.Length)].CopyTo(dst);
        return value;
    }

    /// <summary>A NUL-terminated name at the start of <paramref name="body"/>; <paramref name="rest"/>
    /// is what follows the NUL (SYMLINK carries two names). False if no NUL is found.</summary>
    public static bool TryReadName(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> rest)
    {
        int nul = body.IndexOf((byte)0);
        if (nul < 0)
        {
            name = rest = default;
            return false;
        }
        name = body[..nul];
        rest = body[(nul + 1)..];
        return true;
    }
}
