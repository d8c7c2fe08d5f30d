using System.Runtime.InteropServices;
using System.Text;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Protocol;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;

namespace NetnsFs.UnitTests.Fuse;

/// <summary>A small filesystem for the FUSE-layer tests:
/// <code>
/// /hello            "hello world\n"
/// /dir/inner.txt    "inside\n"
/// /link -> hello
/// /echo             a pipe shared by all opens (reads wait for writes; POLL with notifications)
/// </code>
/// Pure: the FUSE-layer unit tests drive it through a fake kernel, and NetnsFs.Tests (which links
/// this file) mounts it for real. One lock guards all state. Reads of an empty <c>echo</c> are deferred (the FUSE reader goes back
/// to the device) and answered by the WRITE that brings data, or EINTR on INTERRUPT.</summary>
public sealed class TestFileSystem : FuseFileSystem
{
    public const ulong RootIno = 1;
    public const ulong HelloIno = 2;
    public const ulong DirIno = 3;
    public const ulong InnerIno = 4;
    public const ulong LinkIno = 5;
    public const ulong EchoIno = 6;
    public const string InnerName = "inner.txt";
    public const ulong EchoSize = 1UL << 40;
    public const uint PollIn = 0x1;
    public const uint PollOut = 0x4;
    public const uint PollRdNorm = 0x40;
    public const uint PollWrNorm = 0x100;

    public static readonly byte[] HelloContent = "hello world\n"u8.ToArray();
    public static readonly byte[] InnerContent = "inside\n"u8.ToArray();

    /// <summary>What statfs answers: distinctive numbers a test can recognise.</summary>
    public static readonly FuseStatfsOut Statfs = new()
    {
        Blocks = 1000,
        BFree = 600,
        BAvail = 500,
        Files = 100,
        FFree = 90,
        BSize = 4096,
        NameLen = 255,
        FrSize = 4096,
    };

    private const uint S_IFDIR = 0x4000;
    private const uint S_IFREG = 0x8000;
    private const uint S_IFLNK = 0xA000;
    private const int O_ACCMODE = 3;
    private const int O_NONBLOCK = 0x800;

    private sealed record Node(ulong Ino, ulong Parent, string Name, uint Mode, byte[]? Content = null, string? Target = null);

    private sealed class EchoHandle(ulong fh)
    {
        public ulong Fh { get; } = fh;
        public ulong? Kh { get; set; }
    }

    private sealed record Waiter(FuseRequest Request, int Size);

    private static readonly Node[] Nodes =
    [
        new(RootIno, RootIno, "", S_IFDIR | ModeBits.DirectoryDefault),
        new(HelloIno, RootIno, "hello", S_IFREG | ModeBits.ReadOnly, HelloContent),
        new(DirIno, RootIno, "dir", S_IFDIR | ModeBits.DirectoryDefault),
        new(InnerIno, DirIno, InnerName, S_IFREG | ModeBits.ReadOnly, InnerContent),
        new(LinkIno, RootIno, "link", S_IFLNK | ModeBits.All, Target: "hello"),
        new(EchoIno, RootIno, "echo", S_IFREG | ModeBits.ReadWrite),
    ];

    private readonly object _gate = new();
    private readonly List<byte> _echo = [];
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly Dictionary<ulong, EchoHandle> _handles = [];
    private long _nextFh = 100;
    private FuseSession? _session;
    private int _interrupts;
    private int _completedReads;
    private int _polls;
    private int _notifies;
    private int _maxPendingReads;
    private int _flushes;
    private int _releases;

    public FuseConnectionInfo? Connection { get; private set; }

    /// <summary>Reads of <c>echo</c> waiting in the daemon right now.</summary>
    public int PendingReads
    {
        get
        {
            lock (_gate)
                return _waiters.Count;
        }
    }

    public int MaxPendingReads { get { lock (_gate) return _maxPendingReads; } }

    public int Interrupts { get { lock (_gate) return _interrupts; } }

    public int CompletedDeferredReads { get { lock (_gate) return _completedReads; } }

    public int Polls { get { lock (_gate) return _polls; } }

    public int PollNotifications { get { lock (_gate) return _notifies; } }

    public int OpenEchoHandles { get { lock (_gate) return _handles.Count; } }

    /// <summary>FLUSH and RELEASE requests seen, for every file.</summary>
    public int Flushes { get { lock (_gate) return _flushes; } }

    public int Releases { get { lock (_gate) return _releases; } }

    public int BufferedEchoBytes { get { lock (_gate) return _echo.Count; } }

    /// <summary>Waits until <paramref name="condition"/> (evaluated under the lock) holds; false on timeout.</summary>
    public bool WaitUntil(Func<TestFileSystem, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_gate)
        {
            while (!condition(this))
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                    return false;
                Monitor.Wait(_gate, left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50));
            }
            return true;
        }
    }

    /// <summary>Test cleanup: answers every waiting read with <paramref name="errno"/> so that no
    /// thread of a failed test stays blocked on the mount.</summary>
    public int FailAllWaiters(Errno errno = Errno.EIO)
    {
        List<Waiter> all;
        lock (_gate)
        {
            all = [.. _waiters];
            _waiters.Clear();
            Monitor.PulseAll(_gate);
        }
        foreach (var w in all)
            w.Request.ReplyError(errno);
        return all.Count;
    }

    public override void Initialized(FuseSession session, FuseConnectionInfo info)
    {
        _session = session;
        Connection = info;
    }

    private static Node? Find(ulong ino) => Array.Find(Nodes, n => n.Ino == ino);

    private static FuseAttr AttrOf(Node n) => new()
    {
        Ino = n.Ino,
        Size = n.Ino == EchoIno ? EchoSize : (ulong)(n.Content?.Length ?? (n.Target is not null ? Encoding.UTF8.GetByteCount(n.Target) : 4096)),
        Blocks = 0,
        Mode = n.Mode,
        NLink = (n.Mode & 0xF000) == S_IFDIR ? 2u : 1u,
        BlkSize = 4096,
        ATime = 1_700_000_000,
        MTime = 1_700_000_000,
        CTime = 1_700_000_000,
    };

    private static FuseEntryOut EntryOf(Node n) => new() { NodeId = n.Ino, Generation = 1, EntryValid = 1, AttrValid = 1, Attr = AttrOf(n) };

    public override void Lookup(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name)
    {
        string text = Encoding.UTF8.GetString(name);
        var n = Array.Find(Nodes, c => c.Parent == parent.Value && c.Ino != RootIno && c.Name == text);
        if (n is null)
            req.ReplyError(Errno.ENOENT);
        else
            req.Reply(EntryOf(n));
    }

    public override void GetAttr(FuseRequest req, NodeId node, FileHandle? fh)
    {
        var n = Find(node.Value);
        if (n is null)
            req.ReplyError(Errno.ENOENT);
        else
            req.Reply(new FuseAttrOut { AttrValid = 1, Attr = AttrOf(n) });
    }

    /// <summary>Truncation (shell "&gt;") and times mean nothing here; the attributes stay.</summary>
    public override void SetAttr(FuseRequest req, NodeId node, in FuseSetAttrIn attr) => GetAttr(req, node, null);

    public override void ReadLink(FuseRequest req, NodeId node)
    {
        if (Find(node.Value)?.Target is { } target)
            req.ReplyData(Encoding.UTF8.GetBytes(target));
        else
            req.ReplyError(Errno.EINVAL);
    }

    public override void Access(FuseRequest req, NodeId node, int mask) => req.ReplyEmpty();

    public override void StatFs(FuseRequest req, NodeId node) => req.Reply(Statfs);

    public override void OpenDir(FuseRequest req, NodeId node, int flags)
    {
        if (Find(node.Value) is { } n && (n.Mode & 0xF000) == S_IFDIR)
            req.ReplyOpen(new FileHandle(0), OpenReplyFlags.None);
        else
            req.ReplyError(Errno.ENOTDIR);
    }

    public override void ReadDir(FuseRequest req, NodeId node, FileHandle fh, long offset, int size)
    {
        var dir = Find(node.Value);
        if (dir is null || (dir.Mode & 0xF000) != S_IFDIR)
        {
            req.ReplyError(Errno.ENOTDIR);
            return;
        }
        var entries = new List<(string Name, ulong Ino, uint Mode)> { (".", dir.Ino, dir.Mode), ("..", dir.Parent, S_IFDIR) };
        entries.AddRange(Nodes.Where(c => c.Parent == dir.Ino && c.Ino != RootIno).Select(c => (c.Name, c.Ino, c.Mode)));
        var reply = req.TakeReplyBuffer(size);
        var writer = new DirentWriter(reply.Payload);
        for (long i = offset; i < entries.Count; i++)
        {
            var (name, ino, mode) = entries[(int)i];
            if (!writer.TryAdd(ino, (ulong)(i + 1), mode >> 12, Encoding.UTF8.GetBytes(name)))
                break;
        }
        req.ReplyData(reply, writer.Length);
    }

    public override void Open(FuseRequest req, NodeId node, int flags)
    {
        var n = Find(node.Value);
        if (n is null)
        {
            req.ReplyError(Errno.ENOENT);
            return;
        }
        if ((n.Mode & 0xF000) == S_IFDIR)
        {
            req.ReplyError(Errno.EISDIR);
            return;
        }
        if (n.Ino != EchoIno)
        {
            if ((flags & O_ACCMODE) != 0)
                req.ReplyError(Errno.EACCES);
            else
                req.ReplyOpen(new FileHandle(n.Ino), OpenReplyFlags.None);
            return;
        }
        var handle = new EchoHandle((ulong)Interlocked.Increment(ref _nextFh));
        lock (_gate)
        {
            _handles[handle.Fh] = handle;
            Monitor.PulseAll(_gate);
        }
        if (!req.ReplyOpen(new FileHandle(handle.Fh), OpenReplyFlags.StreamFile))
        {
            lock (_gate)
                _handles.Remove(handle.Fh);
        }
    }

    public override void Flush(FuseRequest req, NodeId node, FileHandle fh, ulong lockOwner)
    {
        lock (_gate)
        {
            _flushes++;
            Monitor.PulseAll(_gate);
        }
        req.ReplyEmpty();
    }

    public override void Release(FuseRequest req, NodeId node, FileHandle fh, int flags)
    {
        lock (_gate)
        {
            _releases++;
            _handles.Remove(fh.Value);
            Monitor.PulseAll(_gate);
        }
        req.ReplyEmpty();
    }

    public override void Read(FuseRequest req, NodeId node, FileHandle fh, long offset, int size, int flags)
    {
        if (node.Value != EchoIno)
        {
            var content = Find(node.Value)?.Content;
            if (content is null)
            {
                req.ReplyError(Errno.EBADF);
                return;
            }
            int start = (int)Math.Min(offset, content.Length);
            req.ReplyData(content.AsSpan(start, Math.Min(size, content.Length - start)));
            return;
        }
        lock (_gate)
        {
            if (_echo.Count > 0)
            {
                // Invariant: data is buffered only while nobody waits, so this reader is first.
                int n = Math.Min(size, _echo.Count);
                if (req.ReplyData(CollectionsMarshal.AsSpan(_echo)[..n]))
                    _echo.RemoveRange(0, n);
                return;
            }
            if ((flags & O_NONBLOCK) != 0)
            {
                req.ReplyError(Errno.EAGAIN);
                return;
            }
            // Defer and enqueue under the lock: an INTERRUPT that comes at once waits for the lock in
            // OnInterrupt and then finds the waiter queued.
            req.Defer(OnInterrupt);
            req.State = _waiters.AddLast(new Waiter(req, size));
            _maxPendingReads = Math.Max(_maxPendingReads, _waiters.Count);
            Monitor.PulseAll(_gate);
        }
    }

    private void OnInterrupt(FuseRequest req)
    {
        lock (_gate)
        {
            if (req.State is LinkedListNode<Waiter> node && node.List == _waiters)
                _waiters.Remove(node);
            _interrupts++;
            Monitor.PulseAll(_gate);
        }
        req.ReplyError(Errno.EINTR);
    }

    public override void Write(FuseRequest req, NodeId node, FileHandle fh, long offset, ReadOnlySpan<byte> data, int flags)
    {
        if (node.Value != EchoIno)
        {
            req.ReplyError(Errno.EBADF);
            return;
        }
        List<ulong> khs;
        lock (_gate)
        {
            _echo.AddRange(data);
            // Hand the data to the waiters in order. A waiter that was interrupted meanwhile refuses
            // the reply; its bytes stay for the next one.
            while (_echo.Count > 0 && _waiters.First is { } first)
            {
                _waiters.RemoveFirst();
                int n = Math.Min(first.Value.Size, _echo.Count);
                if (first.Value.Request.ReplyData(CollectionsMarshal.AsSpan(_echo)[..n]))
                {
                    _echo.RemoveRange(0, n);
                    _completedReads++;
                }
            }
            khs = [.. _handles.Values.Where(h => h.Kh.HasValue).Select(h => h.Kh!.Value)];
            _notifies += khs.Count;
            Monitor.PulseAll(_gate);
        }
        req.ReplyWrite((uint)data.Length);
        // Every write is an edge: pollers (EPOLLET included) are woken once per write, as by a pipe.
        foreach (var kh in khs)
            _session?.NotifyPoll(kh);
    }

    public override void Poll(FuseRequest req, NodeId node, FileHandle fh, ulong kh, PollFlags flags, uint events)
    {
        if (node.Value != EchoIno)
        {
            req.ReplyPoll(PollIn | PollOut | PollRdNorm | PollWrNorm);
            return;
        }
        uint revents = PollOut | PollWrNorm;
        lock (_gate)
        {
            _polls++;
            if ((flags & PollFlags.ScheduleNotify) != 0 && _handles.TryGetValue(fh.Value, out var h))
                h.Kh = kh;
            if (_echo.Count > 0)
                revents |= PollIn | PollRdNorm;
            Monitor.PulseAll(_gate);
        }
        req.ReplyPoll(revents);
    }

    public override void Destroy() => FailAllWaiters(Errno.ENOTCONN);
}
