using NetnsFs.FileSystem.Files;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;

namespace NetnsFs.FileSystem.Control;

/// <summary>An open conn/N/ctl: each write is one command for socket N (<see cref="ConnectionControl"/>),
/// answered when the command is done, which for a connect may be later (the write is deferred,
/// no reader waits); reads find nothing. Socket N is looked up at each write, by a handle the
/// mount never reuses: once it is closed, writes are EBADF.</summary>
internal sealed class ControlFile(ulong handle, ConnectionControl control) : OpenFile
{
    private const uint ReadableAndWritable = 0x1 | 0x4;

    /// <summary>Its count among its opener's open snapshots, released at the last close.</summary>
    public Limits.Charge? Charge { get; init; }

    public override void Read(FuseRequest req, long offset, int size, int flags) => req.ReplyData([]);

    public override void Write(FuseRequest req, ReadOnlySpan<byte> data, int flags) => control.Apply(req, handle, data, flags);

    public override void Poll(FuseRequest req, ulong kh, PollFlags pollFlags, uint events) => req.ReplyPoll(ReadableAndWritable);

    public override void Close() => Charge?.Dispose();
}
