using Mono.Unix.Native;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;

namespace NetnsFs.FileSystem.Files;

/// <summary>An open text file: its content is taken once at open, so a reader sees one consistent
/// snapshot however it reads it.</summary>
public sealed class TextFile(byte[] content) : OpenFile
{
    public override void Read(FuseRequest req, long offset, int size, int flags)
    {
        if (offset >= content.Length)
        {
            req.ReplyData([]);
            return;
        }
        int n = (int)Math.Min(size, content.Length - offset);
        req.ReplyData(content.AsSpan((int)offset, n));
    }

    public override void Write(FuseRequest req, ReadOnlySpan<byte> data, int flags) => req.ReplyError(Errno.EBADF);

    public override void Poll(FuseRequest req, ulong kh, PollFlags pollFlags, uint events) => req.ReplyPoll(0x1 | 0x4);

    public override void Close() { }
}
