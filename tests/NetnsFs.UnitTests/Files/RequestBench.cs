using System.IO.Pipes;
using System.Runtime.InteropServices;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Files;

/// <summary>Real <see cref="FuseRequest"/>s without a kernel: their session's "device" is the write
/// end of a pipe, and the test reads back what each request was answered. Nothing is mounted and
/// the session never reads; no root needed.</summary>
internal sealed class RequestBench : IDisposable
{
    private readonly AnonymousPipeServerStream _replies = new(PipeDirection.In);
    private readonly List<NativeBuffer> _buffers = [];
    private readonly Dictionary<ulong, (int Error, byte[] Payload)> _answers = [];
    private ulong _unique;

    public RequestBench()
    {
        // The device only writes to the fd; the pipe stream owns it and closes it on dispose.
        var device = new FuseDevice((int)_replies.ClientSafePipeHandle.DangerousGetHandle());
        Session = new FuseSession(device, new NoFileSystem(), new FuseSessionOptions { Readers = 1 }, Serilog.Core.Logger.None);
    }

    public FuseSession Session { get; }

    /// <summary>A WRITE of <paramref name="length"/> bytes (0, 1, 2, ... mod 251) by <paramref name="uid"/>:
    /// its data lies in a request buffer of its own, as a reader's, so that it can be leased.</summary>
    public (FuseRequest Request, byte[] Data) Write(int length, uint uid = 1000)
    {
        var request = New(FuseOpcode.Write, uid);
        var buffer = new NativeBuffer(Session.RequestBufferSize);
        _buffers.Add(buffer);
        request.Buffer = buffer;
        var data = new byte[length];
        for (int i = 0; i < length; i++)
            data[i] = (byte)(i % 251);
        return (request, data);
    }

    /// <summary>The request's data as the handler sees it: inside its request buffer.</summary>
    public static Span<byte> InBuffer(FuseRequest request, byte[] data)
    {
        var span = request.Buffer!.Span.Slice(80, data.Length);
        data.CopyTo(span);
        return span;
    }

    public FuseRequest New(FuseOpcode opcode, uint uid = 1000)
    {
        var request = new FuseRequest(Session);
        request.Reset(new FuseInHeader { Opcode = (uint)opcode, Unique = ++_unique, Uid = uid, Pid = 1 });
        return request;
    }

    /// <summary>What <paramref name="request"/> was answered: the error (0 for success) and payload.</summary>
    public (int Error, byte[] Payload) AnswerOf(FuseRequest request)
    {
        Assert.That(request.IsAnswered, Is.True, $"{request} is answered");
        while (!_answers.ContainsKey(request.Unique.Value))
            ReadOne();
        return _answers[request.Unique.Value];
    }

    /// <summary>The count a WRITE was answered with (it must have succeeded).</summary>
    public uint WrittenOf(FuseRequest request)
    {
        var (error, payload) = AnswerOf(request);
        Assert.That(error, Is.Zero, $"{request} succeeded");
        return MemoryMarshal.Read<FuseWriteOut>(payload).Size;
    }

    /// <summary>The errno a request was answered with (it must have failed).</summary>
    public Errno ErrnoOf(FuseRequest request)
    {
        var (error, _) = AnswerOf(request);
        Assert.That(error, Is.Negative, $"{request} failed");
        return (Errno)(-error);
    }

    private void ReadOne()
    {
        var header = new byte[16];
        _replies.ReadExactly(header);
        var h = MemoryMarshal.Read<FuseOutHeader>(header);
        var payload = new byte[h.Len - 16];
        _replies.ReadExactly(payload);
        _answers[h.Unique] = (h.Error, payload);
    }

    public void Dispose()
    {
        _replies.Dispose();
        foreach (var b in _buffers)
            b.Dispose();
    }

    private sealed class NoFileSystem : FuseFileSystem;
}
