using System.Buffers;
using NetnsFs.FileSystem.Limits;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;

namespace NetnsFs.FileSystem.Files;

/// <summary>A write the socket could not take at once: the rest of its data, how much went out
/// before it was queued, and since. Its request is null when the write was acknowledged before it
/// was sent (write-behind).
/// The data is kept in the smallest buffer that costs nothing extra: a rest of at most
/// <see cref="CopyAtMost"/> bytes is copied into a right-sized pooled array, a larger one keeps its
/// request buffer (max_write plus a page, about 1 MiB: leasing it saves a copy that would cost more
/// than the memory). What is kept is charged to the writer's uid and the mount as held data
/// (<see cref="Resource.HeldBytes"/>): without that, every blocked write of any user pinned a
/// whole request buffer, and a few hundred of them grew the root daemon by as many MiB.</summary>
internal sealed class PendingWrite
{
    /// <summary>Rests up to this size are copied (a small copy, and made only when a socket is
    /// full); larger ones keep the request buffer.</summary>
    public const int CopyAtMost = 64 * 1024;

    private readonly PayloadLease? _lease;
    private byte[]? _copy;
    private readonly MountLimits? _limits;
    private readonly uint _uid;
    private readonly long _held;
    private int _returned;

    private PendingWrite(FuseRequest? request, PayloadLease? lease, byte[]? copy, int length, int sentBefore, MountLimits? limits, uint uid, long held)
    {
        Request = request;
        _lease = lease;
        _copy = copy;
        Length = length;
        SentBefore = sentBefore;
        _limits = limits;
        _uid = uid;
        _held = held;
    }

    /// <summary>Keeps <paramref name="rest"/> (the part of <paramref name="req"/>'s data the socket
    /// did not take) for a later send. An acknowledged write (already answered) is always kept and
    /// counted; a waiting one is refused, null with <paramref name="refused"/> (ENOBUFS, logged by
    /// the limits), when the writer's uid or the mount holds its cap of data already.</summary>
    public static PendingWrite? Hold(FuseRequest req, ReadOnlySpan<byte> rest, int sentBefore, bool acknowledged,
        MountLimits? limits, int requestBufferSize, out Errno refused)
    {
        refused = 0;
        byte[]? copy = rest.Length <= CopyAtMost ? ArrayPool<byte>.Shared.Rent(Math.Max(1, rest.Length)) : null;
        long held = copy?.Length ?? requestBufferSize;
        if (limits is not null)
        {
            if (acknowledged)
            {
                limits.TakeAnyway(Resource.HeldBytes, req.Uid, held);
            }
            else if ((refused = limits.TryTake(Resource.HeldBytes, req.Uid, held)) != 0)
            {
                if (copy is not null)
                    ArrayPool<byte>.Shared.Return(copy);
                return null;
            }
        }
        PayloadLease? lease = null;
        if (copy is not null)
            rest.CopyTo(copy);
        else
            lease = req.LeasePayload(rest);
        return new PendingWrite(acknowledged ? null : req, lease, copy, rest.Length, sentBefore, limits, req.Uid, held);
    }

    public FuseRequest? Request { get; }

    /// <summary>Already acknowledged: nobody waits for it, and an error of it is reported later.</summary>
    public bool IsAcknowledged => Request is null;

    /// <summary>Bytes of the copy sent so far.</summary>
    public int Sent { get; set; }

    public int Length { get; }

    private int SentBefore { get; }

    /// <summary>Bytes of the whole write that the socket took: what write(2) returns.</summary>
    public int Total => SentBefore + Sent;

    public bool IsDone => Sent == Length;

    public ReadOnlySpan<byte> Remaining =>
        (_copy is { } c ? c.AsSpan(0, Length) : _lease is { } l ? l.Span : throw new ObjectDisposedException(nameof(PendingWrite)))[Sent..];

    /// <summary>Its caller was interrupted while it waited (it is out of the queue): the buffer goes
    /// back, and the write reports the bytes it moved, as a signal does to a socket write, or EINTR.</summary>
    public void AnswerInterrupted()
    {
        int total = Total;
        Return();
        if (total > 0)
            Request?.ReplyWrite((uint)total);
        else
            Request?.ReplyError(Errno.EINTR);
    }

    /// <summary>Done with it: the buffer goes back and the held data is no longer counted (once).</summary>
    public void Return()
    {
        if (Interlocked.Exchange(ref _returned, 1) != 0)
            return;
        _lease?.Dispose();
        if (Interlocked.Exchange(ref _copy, null) is { } c)
            ArrayPool<byte>.Shared.Return(c);
        _limits?.Release(Resource.HeldBytes, _uid, _held);
    }
}
