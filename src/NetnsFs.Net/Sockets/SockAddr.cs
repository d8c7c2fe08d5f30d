using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace NetnsFs.Net.Sockets;

/// <summary>A struct sockaddr_storage by value (128 bytes) and its length: what connect, bind and
/// accept take, built without allocation.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct SockAddr
{
    public const int Capacity = 128;
    private fixed byte _bytes[Capacity];
    public int Length;

    public readonly int Family
    {
        get
        {
            fixed (byte* b = _bytes)
                return *(ushort*)b;
        }
    }

    public Span<byte> Bytes => MemoryMarshal.CreateSpan(ref _bytes[0], Capacity);

    public static SockAddr FromIp(IPAddress address, int port)
    {
        var sa = new SockAddr();
        var b = sa.Bytes;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b, SocketKind.AF_INET);
            BinaryPrimitives.WriteUInt16BigEndian(b[2..], (ushort)port);
            address.TryWriteBytes(b[4..8], out _);
            sa.Length = 16;
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b, SocketKind.AF_INET6);
            BinaryPrimitives.WriteUInt16BigEndian(b[2..], (ushort)port);
            address.TryWriteBytes(b[8..24], out _);
            BinaryPrimitives.WriteUInt32LittleEndian(b[24..], (uint)address.ScopeId);
            sa.Length = 28;
        }
        return sa;
    }

    /// <summary>An abstract unix address: a NUL, then the name (no terminator), in the namespace's
    /// own abstract space.</summary>
    public static SockAddr AbstractUnix(ReadOnlySpan<byte> name)
    {
        var sa = new SockAddr();
        var b = sa.Bytes;
        BinaryPrimitives.WriteUInt16LittleEndian(b, SocketKind.AF_UNIX);
        b[2] = 0;
        name.CopyTo(b[3..]);
        sa.Length = 3 + name.Length;
        return sa;
    }

    /// <summary>The longest abstract name sun_path holds (108 bytes, one taken by the leading NUL).</summary>
    public const int MaxAbstractName = 107;

    /// <summary>The port of an inet or inet6 address; 0 otherwise.</summary>
    public readonly int Port
    {
        get
        {
            fixed (byte* b = _bytes)
                return Family is SocketKind.AF_INET or SocketKind.AF_INET6 ? BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(b + 2, 2)) : 0;
        }
    }

    /// <summary>"127.0.0.1:80", "[::1]:80", "@name", or "" for an unbound/unknown address.</summary>
    public override readonly string ToString()
    {
        fixed (byte* p = _bytes)
        {
            var b = new ReadOnlySpan<byte>(p, Capacity);
            switch (Family)
            {
                case SocketKind.AF_INET when Length >= 8:
                    return $"{new IPAddress(b[4..8])}:{Port}";
                case SocketKind.AF_INET6 when Length >= 24:
                    return $"[{new IPAddress(b[8..24])}]:{Port}";
                case SocketKind.AF_UNIX when Length > 2:
                    var path = b[2..Length];
                    return path[0] == 0 ? "@" + System.Text.Encoding.UTF8.GetString(path[1..]) : System.Text.Encoding.UTF8.GetString(path.TrimEnd((byte)0));
                default:
                    return "";
            }
        }
    }
}
