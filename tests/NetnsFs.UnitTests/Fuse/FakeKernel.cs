using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NetnsFs.UnitTests.Support;
using NUnit.Framework;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace NetnsFs.UnitTests.Fuse;

/// <summary>A message the session sent: the out header and what follows it.</summary>
internal sealed record FuseReply(uint Len, int Error, ulong Unique, byte[] Payload)
{
    public T As<T>() where T : unmanaged
    {
        Assert.That(Payload, Has.Length.EqualTo(Unsafe.SizeOf<T>()), $"payload of a {typeof(T).Name} reply");
        return MemoryMarshal.Read<T>(Payload);
    }

    public override string ToString() => $"len {Len} error {Error} unique {Unique} payload {Payload.Length} bytes";
}

/// <summary>Collects log events so that a test can assert the session logged no error.</summary>
internal sealed class CollectingSink : ILogEventSink
{
    private readonly List<LogEvent> _events = [];

    public void Emit(LogEvent logEvent)
    {
        lock (_events)
            _events.Add(logEvent);
    }

    public List<string> Errors() => AtLeast(LogEventLevel.Error);

    public List<string> Warnings() => AtLeast(LogEventLevel.Warning);

    private List<string> AtLeast(LogEventLevel level)
    {
        lock (_events)
            return [.. _events.Where(e => e.Level >= level).Select(e => e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture) + (e.Exception is null ? "" : " " + e.Exception))];
    }
}

/// <summary>Plays the kernel for a real <see cref="FuseSession"/>: the session's "device" is one end
/// of a SOCK_SEQPACKET pair (one read = one message, as on /dev/fuse), the test holds the other end,
/// writes requests byte by byte and reads back exactly what the session answers. No mount.</summary>
internal sealed class FakeKernel : IDisposable
{
    private readonly int _kernelFd;
    private readonly int _deviceFd;
    private bool _disposed;

    public FakeKernel(FuseFileSystem fs, int readers = 1)
    {
        (_deviceFd, _kernelFd) = SeqPacketPair.Open();
        var log = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(Sink).CreateLogger();
        Session = new FuseSession(new FuseDevice(_deviceFd), fs, new FuseSessionOptions { Readers = readers }, log);
        Session.Start();
    }

    public FuseSession Session { get; }

    public CollectingSink Sink { get; } = new();

    /// <summary>The uid and gid the following requests name as their caller (root by default).</summary>
    public (uint Uid, uint Gid) Caller { get; set; }

    /// <summary>Sends one request: a fuse_in_header (len filled in) then <paramref name="body"/>.</summary>
    public void Send(FuseOpcode opcode, ulong unique, ulong node, ReadOnlySpan<byte> body, ushort totalExtLen = 0) =>
        SendRaw((uint)opcode, unique, node, body, totalExtLen);

    public void SendRaw(uint opcode, ulong unique, ulong node, ReadOnlySpan<byte> body, ushort totalExtLen = 0)
    {
        var message = new byte[40 + body.Length];
        var header = new FuseInHeader
        {
            Len = (uint)message.Length,
            Opcode = opcode,
            Unique = unique,
            NodeId = node,
            Uid = Caller.Uid,
            Gid = Caller.Gid,
            Pid = (uint)Environment.ProcessId,
            TotalExtLen = totalExtLen,
        };
        MemoryMarshal.Write(message, in header);
        body.CopyTo(message.AsSpan(40));
        int n = SeqPacketPair.Write(_kernelFd, message);
        Assert.That(n, Is.EqualTo(message.Length), "request written whole");
    }

    public void Send<T>(FuseOpcode opcode, ulong unique, ulong node, in T body) where T : unmanaged =>
        Send(opcode, unique, node, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in body)));

    /// <summary>A struct followed by bytes (WRITE data, a name).</summary>
    public static byte[] Body<T>(in T head, ReadOnlySpan<byte> tail) where T : unmanaged =>
        [.. MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in head)), .. tail];

    /// <summary>The next message from the session, or null if none comes within <paramref name="timeout"/>.</summary>
    public FuseReply? TryReceive(TimeSpan timeout)
    {
        if (!SeqPacketPair.WaitReadable(_kernelFd, timeout))
            return null;
        var buf = new byte[2 << 20];
        int n = SeqPacketPair.Read(_kernelFd, buf);
        Assert.That(n, Is.GreaterThanOrEqualTo(16), $"a reply of at least a header (read returned {n})");
        var h = MemoryMarshal.Read<FuseOutHeader>(buf);
        Assert.That(h.Len, Is.EqualTo((uint)n), "the len field is the message length");
        return new FuseReply(h.Len, h.Error, h.Unique, buf[16..n]);
    }

    public FuseReply Receive(TimeSpan? timeout = null) =>
        TryReceive(timeout ?? TimeSpan.FromSeconds(5)) ?? throw new AssertionException("no reply from the session within the timeout");

    /// <summary>INIT as a 7.45 kernel sends it; returns the reply.</summary>
    public FuseReply Init(uint major = 7, uint minor = 45, ulong unique = 1)
    {
        var init = new FuseInitIn
        {
            Major = major,
            Minor = minor,
            MaxReadahead = 128 * 1024,
            Flags = (uint)(InitFlags.AsyncRead | InitFlags.BigWrites | InitFlags.MaxPages | InitFlags.ParallelDirops | InitFlags.InitExt | InitFlags.AtomicOTrunc | InitFlags.AsyncDio | InitFlags.WritebackCache),
            Flags2 = (uint)((ulong)(InitFlags.SecurityCtx | InitFlags.HasResend) >> 32),
        };
        Send(FuseOpcode.Init, unique, 0, in init);
        return Receive();
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        // Stop first, then hang up: the reader's read returns 0 and it sees it is stopping.
        Session.Stop();
        SeqPacketPair.HangUp(_kernelFd);
        Session.Dispose();
    }
}
