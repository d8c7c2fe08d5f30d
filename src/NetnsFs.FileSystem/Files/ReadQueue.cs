using NetnsFs.Fuse.Session;
using NetnsFs.Interop;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Files;

/// <summary>A read waiting for data, and the most it may answer.</summary>
internal readonly record struct PendingRead(FuseRequest Request, int Size);

/// <summary>One socket file's reads that found no data, answered in order as data comes. Not
/// thread-safe: its owner calls it under the socket's lock, and arms the socket for data while
/// <see cref="IsWaiting"/>.</summary>
internal sealed class ReadQueue
{
    private readonly Queue<PendingRead> _reads = new();

    /// <summary>Reads wait: a new one waits behind them, and the socket is armed for data.</summary>
    public bool IsWaiting => _reads.Count > 0;

    public void Add(FuseRequest request, int size) => _reads.Enqueue(new PendingRead(request, size));

    /// <summary>The caller of <paramref name="request"/> was interrupted: it waits no more.</summary>
    public void Remove(FuseRequest request)
    {
        int count = _reads.Count;
        for (int i = 0; i < count; i++)
        {
            var r = _reads.Dequeue();
            if (r.Request != request)
                _reads.Enqueue(r);
        }
    }

    /// <summary>The socket has data (or its end): each waiting read in turn receives into a reply
    /// buffer of its own and is answered, until the socket has nothing more.</summary>
    public void Drain(NetSocket socket)
    {
        while (_reads.TryPeek(out var pending))
        {
            if (pending.Request.IsAnswered)
            {
                _reads.Dequeue(); // interrupted meanwhile
                continue;
            }
            var reply = pending.Request.TakeReplyBuffer(pending.Size);
            var received = IoResult.OfCall(socket.Receive(reply.Payload));
            if (received.Errno == Errno.EAGAIN)
                return;
            _reads.Dequeue();
            if (received.Outcome == IoOutcome.Count)
                pending.Request.ReplyData(reply, received.Bytes);
            else
                pending.Request.ReplyError(received.Errno);
        }
    }

    /// <summary>Answers every waiting read with <paramref name="errno"/> (the file is closed).</summary>
    public void FailAll(Errno errno)
    {
        foreach (var r in _reads)
            r.Request.ReplyError(errno);
        _reads.Clear();
    }
}
