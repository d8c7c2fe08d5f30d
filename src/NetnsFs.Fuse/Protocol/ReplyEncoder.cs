using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NetnsFs.Fuse.Abi;

namespace NetnsFs.Fuse.Protocol;

/// <summary>Builds replies and notifications from ABI structs into caller-provided spans. Pure
/// functions, so that every byte the daemon sends can be tested against a known layout.</summary>
public static class ReplyEncoder
{
    public static readonly int OutHeaderSize = Unsafe.SizeOf<FuseOutHeader>();

    /// <summary>An error reply: the header alone, error = -errno.</summary>
    public static int EncodeError(Span<byte> dst, RequestId unique, int errno)
    {
        var header = new FuseOutHeader { Len = (uint)OutHeaderSize, Error = -errno, Unique = unique.Value };
        MemoryMarshal.Write(dst, in header);
        return OutHeaderSize;
    }

    /// <summary>A success reply carrying one struct.</summary>
    public static int Encode<T>(Span<byte> dst, RequestId unique, in T payload) where T : unmanaged
    {
        int size = OutHeaderSize + Unsafe.SizeOf<T>();
        WriteHeader(dst, unique, Unsafe.SizeOf<T>());
        MemoryMarshal.Write(dst[OutHeaderSize..], in payload);
        return size;
    }

    /// <summary>The header of a success reply whose <paramref name="payloadLength"/> bytes follow it.</summary>
    public static void WriteHeader(Span<byte> dst, RequestId unique, int payloadLength)
    {
        var header = new FuseOutHeader { Len = (uint)(OutHeaderSize + payloadLength), Error = 0, Unique = unique.Value };
        MemoryMarshal.Write(dst, in header);
    }

    /// <summary>An unsolicited notification: unique 0, the code in the error field.</summary>
    public static int EncodeNotify<T>(Span<byte> dst, FuseNotifyCode code, in T payload) where T : unmanaged
    {
        int size = OutHeaderSize + Unsafe.SizeOf<T>();
        var header = new FuseOutHeader { Len = (uint)size, Error = (int)code, Unique = 0 };
        MemoryMarshal.Write(dst, in header);
        MemoryMarshal.Write(dst[OutHeaderSize..], in payload);
        return size;
    }

    /// <summary>FUSE_NOTIFY_INVAL_ENTRY: the header, the struct, the name and a NUL.</summary>
    public static int EncodeInvalEntry(Span<byte> dst, NodeId parent, ReadOnlySpan<byte> name)
    {
        var payload = new FuseNotifyInvalEntryOut { Parent = parent.Value, NameLen = (uint)name.Length };
        int fixedSize = OutHeaderSize + Unsafe.SizeOf<FuseNotifyInvalEntryOut>();
        int size = fixedSize + name.Length + 1;
        var header = new FuseOutHeader { Len = (uint)size, Error = (int)FuseNotifyCode.InvalEntry, Unique = 0 };
        MemoryMarshal.Write(dst, in header);
        MemoryMarshal.Write(dst[OutHeaderSize..], in payload);
        name.CopyTo(dst[fixedSize..]);
        dst[size - 1] = 0;
        return size;
    }
}
