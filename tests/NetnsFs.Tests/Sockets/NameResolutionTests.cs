using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Sockets;

/// <summary>tcp/NAME/PORT: names are looked up inside the namespace, through the hosts file and the
/// nameservers the mount was given (hosts=, resolv=), never the host's resolver.</summary>
public sealed class NameResolutionTests
{
    /// <summary>Dials each name and reads its server's line. A step that takes longer than any
    /// answer may (a lookup's tries are 2 x 2 s here) is cut by an alarm and reported as "HUNG in
    /// open" or "HUNG in read", so that the test says where it stuck instead of running into the
    /// script's 60 s limit with nothing to show.</summary>
    private const string DialByNamePy = $$"""
        import errno, json, os, signal, sys, time
        {{PyFunctions.ReadLine}}
        M = sys.argv[1]
        class Hung(Exception):
            pass
        def on_alarm(sig, frame):
            raise Hung()
        signal.signal(signal.SIGALRM, on_alarm)
        def dial(host):
            t = time.monotonic()
            step = 'open'
            signal.alarm(20)
            try:
                fd = os.open('%s/tcp/%s/7070' % (M, host), os.O_RDWR)
                step = 'read'
                data = read_line(fd)
                os.close(fd)
                return {'reply': data.decode().strip(), 'ms': (time.monotonic() - t) * 1000}
            except Hung:
                return {'error': 'HUNG in ' + step, 'ms': (time.monotonic() - t) * 1000}
            except OSError as e:
                return {'error': errno.errorcode.get(e.errno, str(e.errno)), 'ms': (time.monotonic() - t) * 1000}
            finally:
                signal.alarm(0)
        print(json.dumps({h: dial(h) for h in sys.argv[2:]}))
        """;

    /// <summary>What the daemon was doing (its threads' wait channels, its status file): the
    /// message of a dial that hung.</summary>
    private static string DaemonState(NetnsfsMount m)
    {
        var lines = new List<string>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{m.DaemonPid}/task"))
        {
            string Read(string f) => File.Exists(Path.Combine(task, f)) ? File.ReadAllText(Path.Combine(task, f)).Trim() : "?";
            lines.Add($"{Path.GetFileName(task)} {Read("comm")} wchan={Read("wchan")}");
        }
        lines.Add(string.Join('\n', m.Status.Select(kv => $"{kv.Key}={kv.Value}")));
        return string.Join('\n', lines);
    }

    [Test]
    public void Names_resolve_through_a_DNS_server_that_exists_only_inside_the_namespace()
    {
        using var tmp = new TempDir("sock");
        string hosts = SocketKit.WriteFile(tmp, "hosts", "127.0.0.1 fromhosts.netnsfs.test\n");
        string resolv = SocketKit.WriteFile(tmp, "resolv.conf", "nameserver 127.0.0.53\noptions timeout:2 attempts:2\n");
        using var m = new NetnsfsMount($"create,hosts={hosts},resolv={resolv}");
        string tag = "inside-" + m.Status["netns_inode"];
        using var servers = SocketKit.StartServers(m["ns"], tmp, "dns,svc.netnsfs.test,127.0.0.1", $"id,127.0.0.1,7070,{tag}");

        var r = SocketKit.Json(SocketKit.Python(tmp, DialByNamePy, m.Dir, "svc.netnsfs.test", "nosuch.netnsfs.test", "fromhosts.netnsfs.test", "SVC.netnsfs.test"));
        Assert.That(r.ToString(), Does.Not.Contain("HUNG"), () => $"{r}\n{DaemonState(m)}\n{string.Join('\n', servers.Lines)}");

        var svc = r.GetProperty("svc.netnsfs.test");
        Assert.That(svc.TryGetProperty("reply", out var reply) ? reply.GetString() : svc.ToString(), Is.EqualTo(tag), "the name's A record from the namespace's own DNS server");
        var missing = r.GetProperty("nosuch.netnsfs.test");
        Assert.That(missing.TryGetProperty("error", out var err) ? err.GetString() : missing.ToString(), Is.EqualTo("ENOENT"), "NXDOMAIN is ENOENT");
        Assert.That(missing.GetProperty("ms").GetDouble(), Is.LessThan(1500), "answered by the NXDOMAIN, not by a timeout");
        var fromHosts = r.GetProperty("fromhosts.netnsfs.test");
        Assert.That(fromHosts.TryGetProperty("reply", out var hr) ? hr.GetString() : fromHosts.ToString(), Is.EqualTo(tag), "hosts= is consulted first");
        var upper = r.GetProperty("SVC.netnsfs.test");
        Assert.That(upper.TryGetProperty("reply", out var ur) ? ur.GetString() : upper.ToString(), Is.EqualTo(tag), "names are case-insensitive");

        var queries = servers.Lines.Where(l => l.StartsWith("query ", StringComparison.Ordinal)).ToList();
        Assert.That(queries, Does.Contain("query svc.netnsfs.test 1"), string.Join('\n', servers.Lines));
        Assert.That(queries, Does.Contain("query nosuch.netnsfs.test 1"), string.Join('\n', servers.Lines));
        Assert.That(queries.Any(q => q.Contains("fromhosts", StringComparison.Ordinal)), Is.False, "a name in the hosts file needs no query");
    }
}
