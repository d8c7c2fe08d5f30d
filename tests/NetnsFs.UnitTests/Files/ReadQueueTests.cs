using System.Net.Sockets;
using NetnsFs.FileSystem.Files;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;
using NetnsFs.Net.Sockets;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Files;

/// <summary>A socket file's waiting reads, answered in order as data comes on a real Unix stream
/// socket pair (no root), each into a reply buffer of its own.</summary>
public sealed class ReadQueueTests
{
    private RequestBench _bench = null!;
    private string _path = null!;
    private NetSocket _listener = null!;
    private Socket _peer = null!;
    private NetSocket _socket = null!;
    private ReadQueue _reads = null!;

    [SetUp]
    public void SetUp()
    {
        _bench = new RequestBench();
        _path = Path.Combine(Path.GetTempPath(), $"netnsfs-readqueue-{Environment.ProcessId}-{Guid.NewGuid():N}");
        _listener = NetSocket.BindPath(_path, SocketKind.SOCK_STREAM);
        Assert.That(_listener.Listen(1), Is.EqualTo((Errno)0));
        _peer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _peer.Connect(new UnixDomainSocketEndPoint(_path));
        int fd = _listener.Accept();
        Assert.That(fd, Is.Not.Negative, "accepted");
        _socket = NetSocket.Adopt(fd, new SocketKind(SocketKind.AF_UNIX, SocketKind.SOCK_STREAM, 0));
        _reads = new ReadQueue();
    }

    [TearDown]
    public void TearDown()
    {
        _socket.Dispose();
        _peer.Dispose();
        _listener.Dispose();
        File.Delete(_path);
        _bench.Dispose();
    }

    private FuseRequest Wait(int size)
    {
        var request = _bench.New(FuseOpcode.Read);
        _reads.Add(request, size);
        return request;
    }

    [Test]
    public void A_waiting_read_waits_until_data_comes_then_gets_it()
    {
        var read = Wait(100);
        _reads.Drain(_socket);
        Assert.That(read.IsAnswered, Is.False, "nothing yet (EAGAIN)");
        Assert.That(_reads.IsWaiting, Is.True);

        _peer.Send("hello"u8);
        _reads.Drain(_socket);
        Assert.That(_bench.AnswerOf(read).Payload, Is.EqualTo("hello"u8.ToArray()));
        Assert.That(_reads.IsWaiting, Is.False);
    }

    [Test]
    public void Reads_are_answered_in_order_each_with_at_most_its_size()
    {
        var first = Wait(3);
        var second = Wait(100);
        _peer.Send("abcdefgh"u8);
        _reads.Drain(_socket);
        Assert.That(_bench.AnswerOf(first).Payload, Is.EqualTo("abc"u8.ToArray()));
        Assert.That(_bench.AnswerOf(second).Payload, Is.EqualTo("defgh"u8.ToArray()));
    }

    [Test]
    public void The_peers_end_answers_a_waiting_read_with_end_of_file()
    {
        var read = Wait(100);
        _peer.Shutdown(SocketShutdown.Send);
        _reads.Drain(_socket);
        var (error, payload) = _bench.AnswerOf(read);
        Assert.That(error, Is.Zero);
        Assert.That(payload, Is.Empty);
    }

    [Test]
    public void A_read_answered_meanwhile_or_removed_takes_no_data()
    {
        var interrupted = Wait(100);
        var removed = Wait(100);
        var next = Wait(100);
        interrupted.ReplyError(Errno.EINTR);
        _reads.Remove(removed);
        _peer.Send("data"u8);
        _reads.Drain(_socket);
        Assert.That(_bench.ErrnoOf(interrupted), Is.EqualTo(Errno.EINTR));
        Assert.That(removed.IsAnswered, Is.False);
        Assert.That(_bench.AnswerOf(next).Payload, Is.EqualTo("data"u8.ToArray()));
    }

    [Test]
    public void Closing_answers_every_waiting_read_with_the_errno()
    {
        var a = Wait(10);
        var b = Wait(10);
        _reads.FailAll(Errno.EBADF);
        Assert.That(_bench.ErrnoOf(a), Is.EqualTo(Errno.EBADF));
        Assert.That(_bench.ErrnoOf(b), Is.EqualTo(Errno.EBADF));
        Assert.That(_reads.IsWaiting, Is.False);
    }
}
