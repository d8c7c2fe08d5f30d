using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Namespaces;
using NetnsFs.Net.Sockets;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Multi;

/// <summary>Issue 17 item 10: `rmdir` (NetNamespace.Dispose) racing an entry into the namespace
/// (Enter, setns on its fd) must not close the fd under the entry: the number could be reused by
/// another namespace's fd (a spare that the next mkdir hands to someone else) and the socket would
/// land there. In process, on the class itself: the race is a few instructions wide.</summary>
public sealed class NamespaceFdLifetimeTests
{
    private static string FdTarget(int fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget ?? "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static string ThreadNamespace() => new FileInfo("/proc/thread-self/ns/net").LinkTarget ?? "";

    [Test]
    public void Dispose_during_an_entry_closes_the_fd_only_when_the_entry_ends()
    {
        var ns = NetNamespace.Create();
        int fd = ns.Fd;
        string target = FdTarget(fd);
        Assert.That(target, Does.StartWith("net:["));
        var scope = ns.Enter();
        try
        {
            ns.Dispose(); // rmdir while this thread is inside
            Assert.That(FdTarget(fd), Is.EqualTo(target), "the fd stays this namespace's while an entry holds it");
            Assert.That(ThreadNamespace(), Is.EqualTo(target));
        }
        finally
        {
            scope.Dispose();
        }
        Assert.That(ThreadNamespace(), Is.Not.EqualTo(target), "the thread went home");
        Assert.That(FdTarget(fd), Is.Not.EqualTo(target), "the last entry's end closed it");
    }

    [Test]
    public void Entering_a_removed_namespace_is_ENOENT_not_ObjectDisposedException()
    {
        var ns = NetNamespace.Create();
        ns.Dispose();
        var e = Assert.Throws<NetException>(() => ns.Enter());
        Assert.That(e!.Errno, Is.EqualTo(Errno.ENOENT));
        var s = Assert.Throws<NetException>(() => NetSocket.Create(ns, new SocketKind(SocketKind.AF_INET, SocketKind.SOCK_DGRAM, 17)));
        Assert.That(s!.Errno, Is.EqualTo(Errno.ENOENT), "a socket for a request in flight fails with an errno");
    }

    [Test]
    public void Sockets_made_while_the_namespace_is_removed_land_in_it_or_fail()
    {
        // Many entries race one Dispose each time; every socket that is made must be in the
        // namespace it was asked for (its inode, seen from inside with SIOCGSKNS), never elsewhere.
        for (int round = 0; round < 50; round++)
        {
            var ns = NetNamespace.Create();
            ulong inode = ns.Inode;
            int wrong = 0;
            var makers = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                for (int i = 0; i < 50; i++)
                {
                    try
                    {
                        using var s = NetSocket.Create(ns, new SocketKind(SocketKind.AF_INET, SocketKind.SOCK_DGRAM, 17));
                        if (NamespaceOfSocket(s.Fd) != inode)
                            Interlocked.Increment(ref wrong);
                    }
                    catch (NetException e) when (e.Errno == Errno.ENOENT)
                    {
                        return; // removed: the request fails, as it should
                    }
                }
            })).ToList();
            makers.ForEach(t => t.Start());
            ns.Dispose();
            makers.ForEach(t => t.Join());
            Assert.That(wrong, Is.Zero, $"round {round}: sockets landed outside their namespace");
        }
    }

    /// <summary>The inode of a socket's network namespace (SIOCGSKNS gives an fd of it).</summary>
    private static ulong NamespaceOfSocket(int fd)
    {
        int nsfd = Libc.ioctl(fd, Libc.SIOCGSKNS, 0);
        if (nsfd < 0)
            return 0;
        try
        {
            string t = new FileInfo($"/proc/self/fd/{nsfd}").LinkTarget ?? "";
            return ulong.Parse(t["net:[".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            Libc.close(nsfd);
        }
    }
}
