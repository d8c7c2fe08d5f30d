using System.Runtime.InteropServices;
using NetnsFs.Fuse.Abi;

namespace NetnsFs.Fuse.Protocol;

/// <summary>Packs struct fuse_dirent records (8-byte aligned) into a READDIR reply buffer until it
/// is full. <c>ref struct</c>: it writes into the session's reply scratch without allocating.</summary>
public ref struct DirentWriter
{
    private readonly Span<byte> _buffer;
    private int _used;

    public DirentWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _used = 0;
    }

    public readonly int Length => _used;

    /// <summary>Size of one record with a name of <paramref name="nameLength"/> bytes.</summary>
    public static int RecordSize(int nameLength) => (FuseConstants.DirentNameOffset + nameLength + 7) & ~7;

    /// <summary>Appends one entry; false (nothing written) when it does not fit.
    /// <paramref name="nextOffset"/> is the offset the kernel passes back to continue after it;
    /// <paramref name="type"/> is the DT_* type (mode >> 12).</summary>
    public bool TryAdd(ulong ino, ulong nextOffset, uint type, ReadOnlySpan<byte> name)
    {
        int size = RecordSize(name.Length);
        if (_used + size > _buffer.Length)
            return false;
        var record = _buffer.Slice(_used, size);
        var dirent = new FuseDirent { Ino = ino, Off = nextOffset, NameLen = (uint)name.Length, Type = type };
        MemoryMarshal.Write(record, in dirent);
        name.CopyTo(record[FuseConstants.DirentNameOffset..]);
        record[(FuseConstants.DirentNameOffset + name.Length)..].Clear();
        _used += size;
        return true;
    }
}
