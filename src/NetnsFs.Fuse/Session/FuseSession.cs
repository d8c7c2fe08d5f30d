using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Protocol;
using NetnsFs.Interop;
using Serilog;

namespace NetnsFs.Fuse.Session;

/// <summary>The request loop of one FUSE connection, after go-fuse's server: a few reader threads
/// block in read(2) on /dev/fuse (each request wakes one of them; while requests are small, only
/// one reader at a time: <see cref="ReaderGate"/>), decode, and hand each request to the
/// filesystem. A handler that has to wait defers its request and frees the reader. The session ends when the device answers ENODEV
/// (the last mount is gone) or on <see cref="Stop"/>.</summary>
public sealed partial class FuseSession : IDisposable
{
    private readonly FuseDevice _device;
    private readonly FuseFileSystem _fs;
    private readonly ILogger _log;
    private readonly FuseSessionOptions _options;
    private readonly ConcurrentDictionary<ulong, FuseRequest> _deferred = new();
    private readonly BufferPool _buffers;
    private readonly ReaderGate _gate = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<FuseConnectionInfo> _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread[] _readers = [];
    private FuseRequest?[] _handling = []; // per reader: the request its handler runs now
    private int _running;
    private volatile bool _stopping;

    public FuseSession(FuseDevice device, FuseFileSystem fs, FuseSessionOptions options, ILogger log)
    {
        _device = device;
        _fs = fs;
        _options = options;
        _log = log.ForContext<FuseSession>();
        _buffers = new BufferPool(options.RequestBufferSize, maxSpares: 2 * Math.Max(1, options.Readers));
    }

    internal BufferPool Buffers => _buffers;

    /// <summary>The size of one request buffer (what a leased payload keeps).</summary>
    public int RequestBufferSize => _options.RequestBufferSize;

    /// <summary>Completes when the connection is gone and every reader has stopped.</summary>
    public Task Ended => _ended.Task;

    /// <summary>Completes when INIT has been answered: the mount is live.</summary>
    public Task<FuseConnectionInfo> Initialized => _initialized.Task;

    public FuseConnectionInfo? Connection { get; private set; }

    public int DeferredCount => _deferred.Count;

    public void Start()
    {
        int count = Math.Max(1, _options.Readers);
        _readers = new Thread[count];
        _handling = new FuseRequest?[count];
        _running = count;
        for (int i = 0; i < count; i++)
        {
            int slot = i;
            _readers[i] = new Thread(() => ReaderLoop(slot)) { IsBackground = true, Name = $"fuse-reader-{i}" };
            _readers[i].Start();
        }
    }

    /// <summary>Ends the loop without unmounting: the readers are woken and stop, the device is
    /// closed, and the mount, if still there, answers ENOTCONN from then on.</summary>
    public void Stop()
    {
        _stopping = true;
        _gate.Open();
        _device.Wake();
    }

    private void ReaderLoop(int slot)
    {
        var buffer = _buffers.Rent();
        var request = new FuseRequest(this);
        FuseDevice.Reader? port = null;
        try
        {
            port = _device.OpenReader();
            while (true)
            {
                _gate.Enter();
                if (_stopping)
                    break;
                int n = port.Read(buffer);
                if (n < 0)
                {
                    var errno = (Errno)(-n);
                    if (errno is Errno.EINTR or Errno.ENOENT)
                        continue; // ENOENT: the request was interrupted before we read it
                    if (errno is Errno.ENODEV or Errno.ESHUTDOWN || _stopping)
                    {
                        _stopping = true; // the mount is gone (the normal end), or Stop: every reader goes
                        _gate.Open();
                        break;
                    }
                    _log.Error("read /dev/fuse failed: {Errno}", errno);
                    break;
                }
                var message = buffer.Span[..n];
                _gate.Before(message);
                request.Buffer = buffer;
                Volatile.Write(ref _handling[slot], request);
                try
                {
                    Dispatch(message, request); // catches what a handler throws, but for running out of memory
                }
                catch (OutOfMemoryException)
                {
                    OutOfMemory(request);
                }
                Volatile.Write(ref _handling[slot], null);
                if (request.IsDeferred && request.InterruptedWhileHandled)
                    request.Interrupt(); // the INTERRUPT came while the handler ran
                if (request.LeasedBuffer)
                    buffer = _buffers.Rent(); // the old one now belongs to a lease
                if (request.IsDeferred)
                    request = new FuseRequest(this); // the deferred one now belongs to its waiter
            }
            _buffers.Return(buffer);
        }
        catch (Exception e)
        {
            // Outside a handler: the reader itself cannot go on (no buffer to read into, a broken
            // device). A daemon with fewer readers, or none, would leave callers hanging unseen;
            // dying makes the kernel fail every pending request at once (ENOTCONN).
            _log.Fatal(e, "FUSE reader crashed");
            Environment.FailFast("netnsfs: FUSE reader crashed: " + e.GetType().Name + ": " + e.Message, e);
        }
        finally
        {
            _gate.PassIfHeld(); // a parked reader reads on, or sees the stop and leaves too
            port?.Dispose();
            if (Interlocked.Decrement(ref _running) == 0)
                EndSession();
        }
    }

    private long _outOfMemory;

    /// <summary>Requests whose handler ran out of memory (answered ENOMEM).</summary>
    public long OutOfMemoryCount => Interlocked.Read(ref _outOfMemory);

    /// <summary>A handler ran out of memory: its request is answered ENOMEM unless it was answered
    /// already, the first time is logged (a log line needs memory too, and more would flood), and
    /// the reader goes on: memory may come back once other requests finish.</summary>
    private void OutOfMemory(FuseRequest request)
    {
        request.ReplyError(Errno.ENOMEM);
        if (Interlocked.Increment(ref _outOfMemory) == 1)
        {
            try
            {
                _log.Error("{Request}: out of memory; answered ENOMEM (later ones are only counted)", request);
            }
            catch (OutOfMemoryException)
            {
            }
        }
    }

    private void EndSession()
    {
        _stopping = true;
        _device.Dispose(); // the last reader is out: closing now aborts the connection
        foreach (var pending in _deferred.Values)
            pending.Interrupt();
        try
        {
            _fs.Destroy();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.Error(e, "filesystem Destroy failed");
        }
        _initialized.TrySetException(new IOException("the FUSE connection ended before INIT"));
        _ended.TrySetResult();
    }

    internal void LetAnotherRead() => _gate.PassIfHeld();

    private FuseRequest? FindHandling(ulong unique)
    {
        for (int i = 0; i < _handling.Length; i++)
        {
            var seen = Volatile.Read(ref _handling[i]);
            if (seen is not null && seen.Unique.Value == unique)
                return seen;
        }
        return null;
    }

    internal void TrackDeferred(FuseRequest req) => _deferred[req.Unique.Value] = req;

    internal void UntrackDeferred(FuseRequest req) =>
        _deferred.TryRemove(new KeyValuePair<ulong, FuseRequest>(req.Unique.Value, req));

    internal void Send(FuseRequest req, ReadOnlySpan<byte> message, Errno replyErrno)
    {
        if (message.Length >= ReaderGate.BigTransfer)
            _gate.SawBig();
        LogReply(req, replyErrno);
        CheckSend(_device.Write(message), req);
    }

    internal void Send(FuseRequest req, ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        if (payload.Length >= ReaderGate.BigTransfer)
            _gate.SawBig();
        LogReply(req, 0);
        CheckSend(_device.Write(header, payload), req);
    }

    private void LogReply(FuseRequest req, Errno errno)
    {
        if (errno != 0 && errno != Errno.EAGAIN && _log.IsEnabled(Serilog.Events.LogEventLevel.Debug))
            _log.Debug("{Request} failed: {Errno}", req, errno);
    }

    private void CheckSend(Errno errno, FuseRequest? req)
    {
        // ENOENT: the request was interrupted and the kernel forgot it; ENODEV: unmounted meanwhile.
        if (errno is 0 or Errno.ENOENT or Errno.ENODEV || _stopping)
            return;
        _log.Error("write /dev/fuse failed for {Request}: {Errno}", req?.ToString() ?? "notification", errno);
    }

    /// <summary>Tells the kernel that a polled file's readiness changed (FUSE_NOTIFY_POLL); it then
    /// polls the file again and wakes poll/select/epoll waiters.</summary>
    public void NotifyPoll(ulong kh)
    {
        Span<byte> buf = stackalloc byte[ReplyEncoder.OutHeaderSize + Unsafe.SizeOf<FuseNotifyPollWakeupOut>()];
        ReplyEncoder.EncodeNotify(buf, FuseNotifyCode.Poll, new FuseNotifyPollWakeupOut { Kh = kh });
        CheckSend(_device.Write(buf), null);
    }

    /// <summary>Drops a name from the kernel's dentry cache (a listener closed, a namespace removed).</summary>
    public void NotifyInvalEntry(NodeId parent, ReadOnlySpan<byte> name)
    {
        if (name.Length > 255)
            return; // no such name can be cached
        // The kernel takes the directory's lock for this, which a request not read yet may hold:
        // a reader that would be the only one reading lets another read first.
        _gate.PassIfHeld();
        Span<byte> buf = stackalloc byte[ReplyEncoder.OutHeaderSize + Unsafe.SizeOf<FuseNotifyInvalEntryOut>() + name.Length + 1];
        ReplyEncoder.EncodeInvalEntry(buf, parent, name);
        var errno = _device.Write(buf);
        if (errno is not (0 or Errno.ENOENT or Errno.ENODEV))
            _log.Debug("inval entry failed: {Errno}", errno);
    }

    /// <summary>The answer to CREATE: an entry and an open handle in one reply.</summary>
    public static bool ReplyCreate(FuseRequest req, in FuseEntryOut entry, FileHandle fh, OpenReplyFlags flags) =>
        req.Reply(new CreateOut { Entry = entry, Open = new FuseOpenOut { Fh = fh.Value, OpenFlags = (uint)flags } });

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential, Pack = 8)]
    private struct CreateOut
    {
        public FuseEntryOut Entry;
        public FuseOpenOut Open;
    }

    public void Dispose()
    {
        Stop();
        bool joined = true;
        foreach (var t in _readers)
            joined &= t.Join(TimeSpan.FromSeconds(2));
        if (joined)
            _buffers.Clear();
    }
}
