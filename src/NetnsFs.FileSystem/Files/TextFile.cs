using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;

namespace NetnsFs.FileSystem.Files;

/// <summary>An open text file: its content is taken once at open, so a reader sees one consistent
/// snapshot however it reads it.</summary>
public sealed class TextFile(byte[] content, Func<string, Errno>? control = null) : OpenFile
{
    /// <summary>Its count among its opener's open snapshots, released at the last close.</summary>
    public Limits.Charge? Charge { get; init; }

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

    /// <summary>A control file takes one command per write (trailing newline ignored).</summary>
    public override void Write(FuseRequest req, ReadOnlySpan<byte> data, int flags)
    {
        if (control is null)
        {
            req.ReplyError(Errno.EBADF);
            return;
        }
        var e = control(System.Text.Encoding.UTF8.GetString(data).Trim());
        if (e == 0)
            req.ReplyWrite((uint)data.Length);
        else
            req.ReplyError(e);
    }

    public override void Poll(FuseRequest req, ulong kh, PollFlags pollFlags, uint events) => req.ReplyPoll(0x1 | 0x4);

    public override void Close() => Charge?.Dispose();
}
