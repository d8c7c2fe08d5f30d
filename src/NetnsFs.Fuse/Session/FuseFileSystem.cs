using NetnsFs.Fuse.Abi;
using NetnsFs.Interop;

namespace NetnsFs.Fuse.Session;

/// <summary>The operations a filesystem implements. Each gets the request (caller identity, reply
/// handle) and its decoded arguments; spans are valid only during the call. Every operation must
/// answer exactly once, now or after <see cref="FuseRequest.Defer"/>. The defaults answer ENOSYS,
/// except POLL (ENOSYS there would make every file of the mount "always ready").</summary>
public abstract class FuseFileSystem
{
    /// <summary>Called once INIT is settled, before any other request.</summary>
    public virtual void Initialized(FuseSession session, FuseConnectionInfo info) { }

    public virtual void Lookup(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name) => req.ReplyError(Errno.ENOSYS);

    /// <summary>No reply: the kernel dropped <paramref name="nlookup"/> references.</summary>
    public virtual void Forget(NodeId node, ulong nlookup) { }

    public virtual void GetAttr(FuseRequest req, NodeId node, FileHandle? fh) => req.ReplyError(Errno.ENOSYS);

    public virtual void SetAttr(FuseRequest req, NodeId node, in FuseSetAttrIn attr) => req.ReplyError(Errno.ENOSYS);

    public virtual void ReadLink(FuseRequest req, NodeId node) => req.ReplyError(Errno.ENOSYS);

    public virtual void Symlink(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target) => req.ReplyError(Errno.ENOSYS);

    public virtual void MkNod(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask) => req.ReplyError(Errno.ENOSYS);

    public virtual void MkDir(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint umask) => req.ReplyError(Errno.ENOSYS);

    public virtual void Unlink(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name) => req.ReplyError(Errno.ENOSYS);

    public virtual void RmDir(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name) => req.ReplyError(Errno.ENOSYS);

    /// <summary><paramref name="flags"/> are the open(2) flags (O_ACCMODE, O_NONBLOCK, ...).</summary>
    public virtual void Open(FuseRequest req, NodeId node, int flags) => req.ReplyError(Errno.ENOSYS);

    /// <summary>Answer with an entry and an open handle: use <see cref="FuseSession.ReplyCreate"/>.</summary>
    public virtual void Create(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, int flags, uint mode, uint umask) => req.ReplyError(Errno.ENOSYS);

    /// <summary><paramref name="flags"/> are the file's current f_flags (an fcntl O_NONBLOCK shows here).</summary>
    public virtual void Read(FuseRequest req, NodeId node, FileHandle fh, long offset, int size, int flags) => req.ReplyError(Errno.ENOSYS);

    public virtual void Write(FuseRequest req, NodeId node, FileHandle fh, long offset, ReadOnlySpan<byte> data, int flags) => req.ReplyError(Errno.ENOSYS);

    public virtual void Flush(FuseRequest req, NodeId node, FileHandle fh, ulong lockOwner) => req.ReplyEmpty();

    public virtual void Release(FuseRequest req, NodeId node, FileHandle fh, int flags) => req.ReplyEmpty();

    public virtual void OpenDir(FuseRequest req, NodeId node, int flags) => req.ReplyOpen(new FileHandle(0), OpenReplyFlags.None);

    public virtual void ReadDir(FuseRequest req, NodeId node, FileHandle fh, long offset, int size) => req.ReplyError(Errno.ENOSYS);

    public virtual void ReleaseDir(FuseRequest req, NodeId node, FileHandle fh) => req.ReplyEmpty();

    public virtual void StatFs(FuseRequest req, NodeId node) => req.Reply(new FuseStatfsOut { BSize = 4096, FrSize = 4096, NameLen = 255 });

    public virtual void Access(FuseRequest req, NodeId node, int mask) => req.ReplyError(Errno.ENOSYS);

    /// <summary>Answer the current readiness; when <paramref name="flags"/> asks for it, remember
    /// <paramref name="kh"/> and call <see cref="FuseSession.NotifyPoll"/> when readiness changes.</summary>
    public virtual void Poll(FuseRequest req, NodeId node, FileHandle fh, ulong kh, PollFlags flags, uint events) =>
        req.ReplyPoll(0x1 | 0x4); // POLLIN | POLLOUT: a plain file is always ready

    /// <summary>The connection is going away (unmount).</summary>
    public virtual void Destroy() { }
}
