using System.Net;
using System.Net.Sockets;
using NetnsFs.Net.Namespaces;
using NetnsFs.Net.Readiness;
using NetnsFs.Net.Sockets;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Readiness;

/// <summary>The readiness engine on real fds of the test's own namespace (epoll and UDP on
/// loopback need no privilege): registrations that must keep reporting.</summary>
[TestFixture]
public sealed class ReadinessEngineTests
{
    private sealed class Heard : IReadinessListener
    {
        public readonly ManualResetEventSlim Event = new();

        public void OnReadiness(IoEvents events)
        {
            if ((events & IoEvents.In) != 0)
                Event.Set();
        }
    }

    private static NetSocket BoundUdp()
    {
        var s = NetSocket.Create(NetNamespace.Home, new SocketKind(SocketKind.AF_INET, SocketKind.SOCK_DGRAM, 17));
        var at = SockAddr.FromIp(IPAddress.Loopback, 0);
        Assert.That((int)s.Bind(in at), Is.Zero);
        return s;
    }

    private static void SendTo(NetSocket target)
    {
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.SendTo([1], new IPEndPoint(IPAddress.Loopback, target.LocalAddress().Port));
    }

    [Test]
    public void A_spent_key_does_not_unregister_the_fd_registered_anew()
    {
        // A connect waiter hands its socket to a socket file, which registers the same fd again; a
        // late or second Unregister with the waiter's key removed the file's registration (epoll
        // removes by fd), and its reads never heard of data again: a read that never answers.
        using var engine = new ReadinessEngine(Serilog.Core.Logger.None);
        using var socket = BoundUdp();
        var first = new Heard();
        ulong spent = engine.Register(socket.Fd, first);
        engine.Unregister(socket.Fd, spent);
        var second = new Heard();
        ulong live = engine.RegisterQuiet(socket.Fd, second);
        engine.Unregister(socket.Fd, spent); // the stale call
        Assert.That(engine.Arm(socket.Fd, live, IoEvents.In), Is.Zero, "the live registration is still there");
        SendTo(socket);
        Assert.That(second.Event.Wait(TimeSpan.FromSeconds(10)), Is.True, "the live registration reported the datagram");
        Assert.That(first.Event.IsSet, Is.False);
        engine.Unregister(socket.Fd, live);
    }

    [Test]
    public void Register_stores_the_key_before_the_first_event_can_come()
    {
        using var engine = new ReadinessEngine(Serilog.Core.Logger.None);
        using var socket = BoundUdp();
        SendTo(socket); // readable already: the event comes as soon as the fd is added
        var seen = new KeySeen();
        ulong returned = engine.Register(socket.Fd, seen, out seen.Key);
        Assert.That(seen.Heard.Wait(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(seen.KeyAtEvent, Is.EqualTo(returned), "the listener found its key when its first event came");
        engine.Unregister(socket.Fd, returned);
    }

    private sealed class KeySeen : IReadinessListener
    {
        public ulong Key;
        public ulong KeyAtEvent;
        public readonly ManualResetEventSlim Heard = new();

        public void OnReadiness(IoEvents events)
        {
            KeyAtEvent = Volatile.Read(ref Key);
            Heard.Set();
        }
    }
}
