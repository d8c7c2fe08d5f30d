using System.Runtime.InteropServices;

namespace NetnsFs.Fuse.Session;

/// <summary>A page-aligned block of native memory: request buffers and each thread's reply memory.
/// Native, so that it never moves while the kernel reads into it or writes from it; page-aligned,
/// so that a 1 MiB payload spans as few pages as it can for the device's page-by-page copy.</summary>
public sealed unsafe class NativeBuffer : IDisposable
{
    private byte* _pointer;

    public NativeBuffer(int length)
    {
        Length = length;
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, 4096);
    }

    public int Length { get; }

    public byte* Pointer => _pointer != null ? _pointer : throw new ObjectDisposedException(nameof(NativeBuffer));

    public Span<byte> Span => new(Pointer, Length);

    public void Dispose()
    {
        if (_pointer != null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }
}
