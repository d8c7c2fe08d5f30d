using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Sockets;

/// <summary>conn/N/: one directory per open socket, there while it is open, gone once it closes.</summary>
public sealed class ConnectionDirTests
{
    private const string ConnDirsPy = """
        import errno, json, os, sys, time
        M, name = sys.argv[1], sys.argv[2]
        def conns():
            return sorted(os.listdir(M + '/conn'), key=int)
        def read(c, f):
            with open('%s/conn/%s/%s' % (M, c, f)) as h:
                return h.read().strip()
        def gone_after(c):
            # ms until conn/c no longer resolves (stat), or -1 if it still does after 3 s
            t = time.monotonic()
            while time.monotonic() - t < 3:
                if not os.path.exists('%s/conn/%s' % (M, c)):
                    return (time.monotonic() - t) * 1000
                time.sleep(0.05)
            return -1
        def read_error(c):
            try:
                read(c, 'state')
                return 'readable'
            except OSError as e:
                return errno.errorcode.get(e.errno, str(e.errno))
        out = {'empty': conns()}
        a = os.open(M + '/tcp/127.0.0.1/7060', os.O_RDWR)
        b = os.open(M + '/unix/@' + name, os.O_RDWR)
        listing = conns()
        out['open'] = {c: {f: read(c, f) for f in ('local', 'remote', 'state', 'path', 'owner')} for c in listing}
        out['self'] = read('self', 'path')
        ca = [c for c in listing if out['open'][c]['path'] == 'tcp/127.0.0.1/7060']
        cb = [c for c in listing if out['open'][c]['path'] == 'unix/@' + name]
        out['ca'], out['cb'] = ca, cb
        os.close(a)
        out['after_a'] = conns()
        out['a_gone_ms'] = gone_after(ca[0])
        out['a_read'] = read_error(ca[0])
        out['self_after_a'] = read('self', 'path')
        os.close(b)
        out['after_b'] = conns()
        out['b_gone_ms'] = gone_after(cb[0])
        out['pid'] = os.getpid()
        print(json.dumps(out))
        """;

    [Test]
    public void Conn_directories_describe_open_sockets_and_vanish_when_they_close()
    {
        using var tmp = new TempDir("sock");
        using var m = new NetnsfsMount("create");
        string name = SocketKit.UniqueName("netnsfs-c-");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "hold,127.0.0.1,7060", $"uecho,{name}");

        var r = SocketKit.Json(SocketKit.Python(tmp, ConnDirsPy, m.Dir, name));
        int pid = r.GetProperty("pid").GetInt32();
        Assert.That(r.GetProperty("empty").GetArrayLength(), Is.Zero, r.ToString());
        Assert.That(r.GetProperty("ca").GetArrayLength(), Is.EqualTo(1), $"one conn/N for the tcp socket: {r}");
        Assert.That(r.GetProperty("cb").GetArrayLength(), Is.EqualTo(1), $"one conn/N for the unix socket: {r}");
        var tcp = r.GetProperty("open").GetProperty(r.GetProperty("ca")[0].GetString()!);
        Assert.That(tcp.GetProperty("remote").GetString(), Is.EqualTo("127.0.0.1:7060"), r.ToString());
        Assert.That(tcp.GetProperty("local").GetString(), Does.StartWith("127.0.0.1:"), r.ToString());
        Assert.That(tcp.GetProperty("state").GetString(), Is.EqualTo("ESTABLISHED"), r.ToString());
        Assert.That(tcp.GetProperty("owner").GetString(), Is.EqualTo($"pid={pid} uid=0"), r.ToString());
        Assert.That(r.GetProperty("self").GetString(), Is.EqualTo($"unix/@{name}"), "conn/self is the caller's newest socket");

        Assert.That(r.GetProperty("after_a").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { r.GetProperty("cb")[0].GetString() }),
            "ls conn/ drops the closed socket at once");
        Assert.That(r.GetProperty("self_after_a").GetString(), Is.EqualTo($"unix/@{name}"), r.ToString());
        Assert.That(r.GetProperty("after_b").GetArrayLength(), Is.Zero, r.ToString());
        Assert.That(m.Status["sockets"], Is.EqualTo("0"));

        // The path itself must stop resolving too (the kernel may keep a positive entry for its
        // 1 s entry timeout, no longer).
        Assert.Multiple(() =>
        {
            Assert.That(r.GetProperty("a_gone_ms").GetDouble(), Is.GreaterThanOrEqualTo(0), $"conn/N of a closed socket still resolves 3 s after the close: {r}");
            Assert.That(r.GetProperty("a_read").GetString(), Is.EqualTo("ENOENT"), $"reading conn/N/state of a closed socket: {r}");
            Assert.That(r.GetProperty("b_gone_ms").GetDouble(), Is.GreaterThanOrEqualTo(0), $"conn/N of a closed socket still resolves 3 s after the close: {r}");
        });
        Assert.That(Directory.Exists(m[$"conn/{r.GetProperty("ca")[0].GetString()}"]), Is.False, "seen from another process as well");
    }
    private const string ThreadOpensPy = """
        import json, os, sys, threading
        M, exits = sys.argv[1], sys.argv[2] == 'exited'
        opened, done = threading.Event(), threading.Event()
        box = {}
        def worker():
            box['fd'] = os.open(M + '/tcp/127.0.0.1/7061', os.O_RDWR)
            box['tid'] = threading.get_native_id()
            opened.set()
            if not exits:
                done.wait(10)
        t = threading.Thread(target=worker)
        t.start()
        opened.wait(10)
        if exits:
            t.join()  # the opening thread is gone before anyone asks
        out = {'pid': os.getpid(), 'tid': box['tid']}
        try:
            with open(M + '/conn/self/path') as h:
                out['self'] = h.read().strip()
            with open(M + '/conn/self/owner') as h:
                out['owner'] = h.read().strip()
        finally:
            done.set()
            t.join()
        os.close(box['fd'])
        print(json.dumps(out))
        """;

    /// <summary>FUSE names the calling thread, not its process: a socket that a worker thread opened
    /// is still the process's own, for conn/self asked from the main thread and for owner, while the
    /// worker lives and after it has exited.</summary>
    [TestCase("alive", TestName = "Conn_self_finds_a_socket_another_thread_of_the_process_opened")]
    [TestCase("exited", TestName = "Conn_self_finds_a_socket_opened_by_a_thread_that_has_exited")]
    public void Conn_self_of_a_socket_opened_by_a_worker_thread(string worker)
    {
        using var tmp = new TempDir("sock");
        using var m = new NetnsfsMount("create");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "hold,127.0.0.1,7061");

        var r = SocketKit.Json(SocketKit.Python(tmp, ThreadOpensPy, m.Dir, worker));
        int pid = r.GetProperty("pid").GetInt32();
        Assert.That(r.GetProperty("tid").GetInt32(), Is.Not.EqualTo(pid), "the socket was opened by another thread");
        Assert.That(r.GetProperty("self").GetString(), Is.EqualTo("tcp/127.0.0.1/7061"), r.ToString());
        Assert.That(r.GetProperty("owner").GetString(), Is.EqualTo($"pid={pid} uid=0"), "owner names the process: " + r);
    }
}
