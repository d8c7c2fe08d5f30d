using System.Net;
using NetnsFs.Client;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Handoff;

/// <summary>One process, sockets of three namespaces at once: each socket belongs to the namespace
/// of the mount it came from, whatever namespace the process is in.</summary>
public sealed class NamespacesTests
{
    [Test]
    public void One_process_holds_sockets_of_three_namespaces_and_each_reaches_only_its_own()
    {
        using var tmp = new TempDir("hand");
        using var m1 = new NetnsfsMount("create");
        using var m2 = new NetnsfsMount("create");
        using var m3 = new NetnsfsMount("create");
        var mounts = new[] { m1, m2, m3 };
        var tags = mounts.Select((m, i) => $"server-{i + 1}-{m.Status["netns_inode"]}").ToArray();
        Assert.That(mounts.Select(m => m.Status["netns_inode"]).Distinct().Count(), Is.EqualTo(3), "three namespaces");
        var servers = new List<Background>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var specs = new List<string> { $"id,127.0.0.1,7300,{tags[i]}" };
                if (i == 0)
                    specs.Add("id,127.0.0.1,7301,only-in-1");
                servers.Add(SocketKit.StartServers(mounts[i]["ns"], tmp, [.. specs]));
            }

            // All three open at once, read only afterwards.
            var sockets = mounts.Select(m => NetnsSocket.Open(m.Dir, "tcp/127.0.0.1/7300")).ToList();
            var unconnected = mounts.Select(m => NetnsSocket.Open(m.Dir, "inet;stream;tcp")).ToList();
            try
            {
                for (int i = 0; i < 3; i++)
                    Assert.That(Replies.ReadAll(sockets[i]), Is.EqualTo(tags[i]), $"the socket from mount {i + 1} reached server {i + 1}");
                for (int i = 2; i >= 0; i--)
                {
                    unconnected[i].Connect(new IPEndPoint(IPAddress.Loopback, 7300));
                    Assert.That(Replies.ReadAll(unconnected[i]), Is.EqualTo(tags[i]), $"connect(2) on mount {i + 1}'s unconnected socket stays in its namespace");
                }
            }
            finally
            {
                foreach (var s in sockets.Concat(unconnected))
                    s.Dispose();
            }

            using (var only = NetnsSocket.Open(m1.Dir, "tcp/127.0.0.1/7301"))
                Assert.That(Replies.ReadAll(only), Is.EqualTo("only-in-1"));
            foreach (var m in new[] { m2, m3 })
            {
                var e = Assert.Throws<NetnsSocketException>(() => NetnsSocket.Open(m.Dir, "tcp/127.0.0.1/7301"));
                Assert.That(e!.Errno, Is.EqualTo(111), "a port served only in namespace 1 is refused in the others");
            }
        }
        finally
        {
            foreach (var s in servers)
                s.Dispose();
        }
    }
}
