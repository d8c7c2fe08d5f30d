using System.Net;
using NetnsFs.FileSystem.Paths;
using NetnsFs.FileSystem.Service;
using NetnsFs.Interop;
using NetnsFs.Net.Identity;
using NetnsFs.Net.Sockets;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Service;

/// <summary>The privilege decision of the socket service: which capability a recipe needs of a
/// caller, given the namespace's ip_unprivileged_port_start, and which errno a refusal answers.</summary>
public class SocketPrivilegesTests
{
    private static readonly SocketKind Tcp = new(SocketKind.AF_INET6, SocketKind.SOCK_STREAM, 6);
    private static readonly SocketKind RawIcmp = new(SocketKind.AF_INET, SocketKind.SOCK_RAW, 1);
    private static readonly SocketKind Packet = new(SocketKind.AF_PACKET, SocketKind.SOCK_DGRAM, 0);

    private static Caller Holding(params int[] capabilities) =>
        new(4242, 1000, 1000) { Capabilities = capabilities.Aggregate(0UL, (mask, c) => mask | (1UL << c)) };

    private static ListenRecipe ListenOn(int port) =>
        new(Tcp, SockAddr.FromIp(IPAddress.IPv6Any, port), ListenerKey.OnPort(TransportTable.Tcp, "*", port), DualStack: true);

    private static int NotAsked() => throw new AssertionException("the port start was read for a request that does not need it");

    [Test]
    public void A_raw_socket_needs_CAP_NET_RAW_and_is_refused_with_EPERM()
    {
        Assert.That(SocketPrivileges.Lacking(new TripleRecipe(RawIcmp), Holding(), NotAsked),
            Is.EqualTo(new SocketPrivileges.Missing(Errno.EPERM, "CAP_NET_RAW")));
        Assert.That(SocketPrivileges.Lacking(new TripleRecipe(Packet), Holding(Caller.CapNetBindService), NotAsked),
            Is.EqualTo(new SocketPrivileges.Missing(Errno.EPERM, "CAP_NET_RAW")), "a packet socket as well");
        Assert.That(SocketPrivileges.Lacking(new TripleRecipe(RawIcmp), Holding(Caller.CapNetRaw), NotAsked), Is.Null);
    }

    [TestCase(80, 1024, false, Errno.EACCES)]
    [TestCase(1023, 1024, false, Errno.EACCES)]
    [TestCase(1024, 1024, false, (Errno)0)]
    [TestCase(80, 80, false, (Errno)0)]
    [TestCase(80, 1024, true, (Errno)0)]
    public void A_listen_port_below_the_namespace_s_port_start_needs_CAP_NET_BIND_SERVICE(int port, int portStart, bool holds, Errno expected)
    {
        var caller = holds ? Holding(Caller.CapNetBindService) : Holding(Caller.CapNetRaw);
        var missing = SocketPrivileges.Lacking(ListenOn(port), caller, () => portStart);
        Assert.That(missing?.Errno ?? 0, Is.EqualTo(expected));
        if (missing is { } m)
            Assert.That(m.Capability, Is.EqualTo("CAP_NET_BIND_SERVICE"));
    }

    [Test]
    public void The_port_start_is_read_only_for_a_listen_on_a_port_by_a_caller_without_the_capability()
    {
        int reads = 0;
        int Read()
        {
            reads++;
            return 1024;
        }
        SocketPrivileges.Lacking(ListenOn(0), Holding(), Read);
        SocketPrivileges.Lacking(ListenOn(80), Holding(Caller.CapNetBindService), Read);
        SocketPrivileges.Lacking(new HostDialRecipe(Tcp, "127.0.0.1", 80, "tcp/127.0.0.1/80"), Holding(), Read);
        SocketPrivileges.Lacking(new TripleRecipe(Tcp), Holding(), Read);
        Assert.That(reads, Is.Zero, "port 0, a caller with the capability, a dial and a triple need no sysctl");
        SocketPrivileges.Lacking(ListenOn(80), Holding(), Read);
        Assert.That(reads, Is.EqualTo(1));
    }

    [Test]
    public void A_dial_to_a_low_port_needs_nothing()
    {
        var dial = new HostDialRecipe(Tcp, "127.0.0.1", 22, "tcp/127.0.0.1/22");
        Assert.That(SocketPrivileges.Lacking(dial, Holding(), NotAsked), Is.Null);
    }

    [Test]
    public void The_raw_check_comes_first()
    {
        var rawListen = new ListenRecipe(RawIcmp with { Family = SocketKind.AF_INET }, SockAddr.FromIp(IPAddress.Any, 80), ListenerKey.OnPort(TransportTable.Tcp, "0.0.0.0", 80), false);
        Assert.That(SocketPrivileges.Lacking(rawListen, Holding(), () => 1024)?.Errno, Is.EqualTo(Errno.EPERM));
    }
}
