using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;

namespace NetnsFs.FileSystem.Files;

/// <summary>Something an OPEN returned a handle for: a socket or a text snapshot.</summary>
public abstract class OpenFile
{
    public FileHandle Handle { get; internal set; }

    public abstract void Read(FuseRequest req, long offset, int size, int flags);

    public abstract void Write(FuseRequest req, ReadOnlySpan<byte> data, int flags);

    public abstract void Poll(FuseRequest req, ulong kh, PollFlags pollFlags, uint events);

    /// <summary>The last close: release what the handle holds.</summary>
    public abstract void Close();
}
