using System.Runtime.CompilerServices;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Protocol;
using NetnsFs.Interop;

namespace NetnsFs.Fuse.Session;

/// <summary>One request from the kernel and the promise to answer it exactly once. A handler answers
/// at once, or calls <see cref="Defer"/> and answers later from any thread (a socket read that waits),
/// so no /dev/fuse reader is held. INTERRUPT of a deferred request answers EINTR through the same
/// once-only gate, so a late completion and an interrupt can never both reply.</summary>
public sealed class FuseRequest
{
    private readonly FuseSession _session;
    private int _answered;
    private Action<FuseRequest>? _onInterrupt;
    private ulong _interruptedUnique; // an INTERRUPT came for this one while its handler ran

    internal FuseRequest(FuseSession session) => _session = session;

    public FuseOpcode Opcode { get; private set; }
    public RequestId Unique { get; private set; }
    public NodeId Node { get; private set; }

    /// <summary>The caller as the kernel saw it when the request was made.</summary>
    public uint Uid { get; private set; }
    public uint Gid { get; private set; }
    public uint Pid { get; private set; }

    /// <summary>Free for the filesystem while the request is deferred (what it waits on).</summary>
    public object? State { get; set; }

    public bool IsAnswered => Volatile.Read(ref _answered) != 0;

    /// <summary>Whether the handler deferred the answer; the reader then leaves this object alone.</summary>
    internal bool IsDeferred { get; private set; }

    /// <summary>The buffer the request was read into (valid while the handler runs).</summary>
    internal NativeBuffer? Buffer { get; set; }

    /// <summary>Whether a handler took the buffer with <see cref="LeasePayload"/>.</summary>
    internal bool LeasedBuffer { get; private set; }

    /// <summary>Keeps <paramref name="payload"/> (a part of this request's body, such as WRITE
    /// data) valid after the handler returns, without copying it. Once per request, during the
    /// handler; dispose the lease when done with the data.</summary>
    public unsafe PayloadLease LeasePayload(ReadOnlySpan<byte> payload)
    {
        var buffer = Buffer ?? throw new InvalidOperationException("no request buffer");
        if (LeasedBuffer)
            throw new InvalidOperationException("the payload is leased already");
        fixed (byte* p = payload)
        {
            long offset = p - buffer.Pointer;
            if (offset < 0 || offset + payload.Length > buffer.Length)
                throw new ArgumentException("not a part of this request", nameof(payload));
            LeasedBuffer = true;
            return new PayloadLease(_session.Buffers, buffer, (int)offset, payload.Length);
        }
    }

    internal void Reset(in FuseInHeader header)
    {
        Opcode = (FuseOpcode)header.Opcode;
        Unique = new RequestId(header.Unique);
        Node = new NodeId(header.NodeId);
        Uid = header.Uid;
        Gid = header.Gid;
        Pid = header.Pid;
        State = null;
        _onInterrupt = null;
        IsDeferred = false;
        LeasedBuffer = false;
        _answered = 0;
    }

    /// <summary>Tells the session that the handler is about to do something slow (build a large
    /// listing, read the kernel's tables): if its reader is the only one reading the device now,
    /// another one starts, so that no request waits for this one.</summary>
    public void WillTakeLong() => _session.LetAnotherRead();

    /// <summary>The answer comes later. <paramref name="onInterrupt"/> runs if the caller is
    /// interrupted first: it stops the wait and answers (EINTR, or what a half-done operation has
    /// to report, such as the bytes a write already sent); without one, or if it does not answer,
    /// the request is answered EINTR.</summary>
    public void Defer(Action<FuseRequest>? onInterrupt)
    {
        _onInterrupt = onInterrupt;
        IsDeferred = true;
        _session.TrackDeferred(this);
    }

    /// <summary>An INTERRUPT for <paramref name="unique"/> came while a handler ran this request
    /// (which may have moved on to another request since: the unique tells).</summary>
    internal void MarkInterrupted(ulong unique) => Volatile.Write(ref _interruptedUnique, unique);

    /// <summary>Whether an INTERRUPT came for this request while its handler ran.</summary>
    internal bool InterruptedWhileHandled => Volatile.Read(ref _interruptedUnique) == Unique.Value;

    /// <summary>Called by the session on INTERRUPT of this request.</summary>
    internal void Interrupt()
    {
        if (IsAnswered)
            return;
        _onInterrupt?.Invoke(this);
        ReplyError(Errno.EINTR); // a no-op if the handler (or a completion racing it) answered
    }

    private bool TryClaim()
    {
        if (Interlocked.Exchange(ref _answered, 1) != 0)
            return false;
        if (IsDeferred)
            _session.UntrackDeferred(this);
        return true;
    }

    public bool ReplyError(Errno errno)
    {
        if (!TryClaim())
            return false;
        SendError(errno);
        return true;
    }

    private void SendError(Errno errno)
    {
        Span<byte> buf = stackalloc byte[ReplyEncoder.OutHeaderSize];
        ReplyEncoder.EncodeError(buf, Unique, (int)errno);
        _session.Send(this, buf, errno);
    }

    /// <summary>A reply of one ABI struct.</summary>
    public bool Reply<T>(in T payload) where T : unmanaged
    {
        if (!TryClaim())
            return false;
        Span<byte> buf = stackalloc byte[ReplyEncoder.OutHeaderSize + Unsafe.SizeOf<T>()];
        ReplyEncoder.Encode(buf, Unique, in payload);
        _session.Send(this, buf, 0);
        return true;
    }

    /// <summary>A success reply with no payload (FLUSH, RELEASE, UNLINK, ACCESS, ...).</summary>
    public bool ReplyEmpty()
    {
        if (!TryClaim())
            return false;
        Span<byte> buf = stackalloc byte[ReplyEncoder.OutHeaderSize];
        ReplyEncoder.WriteHeader(buf, Unique, 0);
        _session.Send(this, buf, 0);
        return true;
    }

    public bool ReplyOpen(FileHandle fh, OpenReplyFlags flags) =>
        Reply(new FuseOpenOut { Fh = fh.Value, OpenFlags = (uint)flags });

    public bool ReplyWrite(uint written) => Reply(new FuseWriteOut { Size = written });

    public bool ReplyPoll(uint revents) => Reply(new FusePollOut { REvents = revents });

    /// <summary>A reply whose payload lies apart from the header (READ data, READLINK, READDIR).</summary>
    public bool ReplyData(ReadOnlySpan<byte> data)
    {
        if (!TryClaim())
            return false;
        Span<byte> header = stackalloc byte[ReplyEncoder.OutHeaderSize];
        ReplyEncoder.WriteHeader(header, Unique, data.Length);
        _session.Send(this, header, data);
        return true;
    }

    /// <summary>A buffer to build this request's reply payload in (READ data, a listing), with room
    /// for <paramref name="maxPayload"/> bytes; answer with <see cref="ReplyData(ReplyBuffer, int)"/>.
    /// Taken from the calling thread's reply memory: a handler takes it while it answers, and a
    /// deferred read takes it on the thread that finishes it.</summary>
    public ReplyBuffer TakeReplyBuffer(int maxPayload) => Session.ReplyScratch.Lend(this, maxPayload);

    /// <summary>Answers with the first <paramref name="length"/> bytes of <paramref name="filled"/>'s
    /// payload, header and payload in one write.</summary>
    public bool ReplyData(ReplyBuffer filled, int length)
    {
        if (filled.Request != this)
            throw new ArgumentException("the reply buffer was taken for another request", nameof(filled));
        if ((uint)length > (uint)filled.Payload.Length)
            throw new ArgumentOutOfRangeException(nameof(length), length, "longer than the reply buffer");
        if (!Session.ReplyScratch.IsCurrent(filled.Lending))
            throw new InvalidOperationException("the thread's reply memory was lent again since this buffer was taken");
        if (!TryClaim())
            return false;
        Span<byte> message = filled.Message(length);
        ReplyEncoder.WriteHeader(message, Unique, length);
        _session.Send(this, message, 0);
        return true;
    }

    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Opcode} #{Unique} node {Node} pid {Pid} uid {Uid}");
}
