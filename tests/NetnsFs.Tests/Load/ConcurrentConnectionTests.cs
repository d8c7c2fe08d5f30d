using System.Diagnostics;
using NetnsFs.Tests.Core;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Load;

/// <summary>10 000 connections open at once through one mount, each carrying its own token to an
/// epoll echo server inside the namespace and back.</summary>
[TestFixture]
public sealed class ConcurrentConnectionTests
{
    [Test]
    public void Ten_thousand_connections_through_one_mount_each_echo_their_own_token()
    {
        const int clients = 10_000;
        string server = LoadSupport.Compile("epoll_echo", LoadSupport.EpollEchoServer);
        string client = LoadSupport.Compile("many_clients", LoadSupport.ManyClients);
        using var ns = new NamespaceHolder();
        var p = ns.Start(server);
        var line = p.StandardOutput.ReadLineAsync();
        Assert.That(line.Wait(TimeSpan.FromSeconds(15)) && line.Result is not null, Is.True, "the echo server printed its port");
        int port = int.Parse(line.Result!, System.Globalization.CultureInfo.InvariantCulture);
        using var m = new NetnsfsMount($"netns={ns.Path}");
        string path = m[$"tcp/127.0.0.1/{port}"];
        Host.WarmUp(m, $"tcp/127.0.0.1/{port}");
        var fdsBefore = LoadSupport.DaemonFds(m.DaemonPid);

        var sw = Stopwatch.StartNew();
        var r = Run.Process(client, [path, LoadSupport.Str(clients), m["status"]], TimeSpan.FromSeconds(110));
        TestContext.Progress.WriteLine($"{clients} connections: {r.Stdout.Trim()} (wall {sw.Elapsed.TotalSeconds:F1} s)");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        using var doc = System.Text.Json.JsonDocument.Parse(r.Stdout.Trim().Split('\n')[^1]);
        var j = doc.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(j.GetProperty("ok").GetInt32(), Is.EqualTo(clients), j.GetProperty("first_bad").GetString());
            Assert.That(j.GetProperty("peak").GetInt32(), Is.EqualTo(clients), "all connections were open at once");
            Assert.That(j.GetProperty("total_s").GetDouble(), Is.LessThan(100));
        });
        LoadSupport.AssertRecovered(m, fdsBefore, $"{clients} connections");
    }
}
