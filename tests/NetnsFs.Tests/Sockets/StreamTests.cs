using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Sockets;

/// <summary>Dialled socket files used the way programs use files: readiness (select, poll, epoll
/// edge-triggered), non-blocking I/O, Node streams, half-close, abstract unix sockets.</summary>
public sealed class StreamTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private const string SelectorsPy = """
        import fcntl, json, os, selectors, sys, time
        M, name = sys.argv[1], sys.argv[2]
        paths = ['tcp/127.0.0.1/7010', 'tcp/127.0.0.1/7010', 'tcp/::1/7011', 'unix/@' + name]
        report = {}
        for kind, cls in (('epoll', selectors.EpollSelector), ('poll', selectors.PollSelector), ('select', selectors.SelectSelector)):
            sel = cls()
            fds, want, got = [], {}, {}
            for i, p in enumerate(paths):
                fd = os.open(os.path.join(M, p), os.O_RDWR)
                os.set_blocking(fd, False)
                sel.register(fd, selectors.EVENT_READ, i)
                fds.append(fd)
                got[fd] = b''
            idle_before = sel.select(timeout=0.2)
            rounds = 0
            for r in range(3):
                for i, fd in enumerate(fds):
                    msg = ('%s/%d/%d:' % (kind, i, r)).encode() * (50 * (i + 1))
                    want[fd] = want.get(fd, b'') + msg
                    os.write(fd, msg)
                deadline = time.monotonic() + 20
                while any(len(got[fd]) < len(want[fd]) for fd in fds) and time.monotonic() < deadline:
                    for key, ev in sel.select(timeout=1):
                        rounds += 1
                        try:
                            got[key.fd] += os.read(key.fd, 65536)
                        except BlockingIOError:
                            pass
            ok = [got[fd] == want[fd] for fd in fds]
            report[kind] = {'ok': ok, 'idle_before': len(idle_before), 'wakeups': rounds}
            for fd in fds:
                sel.unregister(fd)
                os.close(fd)
            sel.close()
        print(json.dumps(report))
        """;

    [Test]
    public void Python_selectors_drive_four_socket_files_at_once_with_epoll_poll_and_select()
    {
        using var tmp = new TempDir("sock");
        using var m = new NetnsfsMount("create");
        string name = SocketKit.UniqueName("netnsfs-sel-");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "echo,127.0.0.1,7010", "echo,::1,7011", $"uecho,{name}");

        var report = SocketKit.Json(SocketKit.Python(tmp, SelectorsPy, m.Dir, name));
        foreach (var kind in new[] { "epoll", "poll", "select" })
        {
            var r = report.GetProperty(kind);
            Assert.That(r.GetProperty("ok").EnumerateArray().Select(e => e.GetBoolean()), Is.All.True, $"{kind}: every file got exactly its own echo: {r}");
            Assert.That(r.GetProperty("idle_before").GetInt32(), Is.Zero, $"{kind}: nothing is readable before anything was sent");
            Assert.That(r.GetProperty("wakeups").GetInt32(), Is.GreaterThanOrEqualTo(4), $"{kind}: {r}");
        }
    }

    private const string NodeStreamsJs = """
        const fs = require('fs');
        const crypto = require('crypto');
        const path = process.argv[2];
        const fd = fs.openSync(path, 'r+');
        const r = fs.createReadStream(null, { fd, autoClose: false, highWaterMark: 65536 });
        const w = fs.createWriteStream(null, { fd, autoClose: false });
        const payload = crypto.randomBytes(300000);
        const chunks = [];
        let total = 0;
        const timer = setTimeout(() => { console.log(JSON.stringify({ error: 'timeout', total })); process.exit(4); }, 30000);
        r.on('data', d => {
            chunks.push(d);
            total += d.length;
            if (total >= payload.length) {
                clearTimeout(timer);
                r.pause();
                const same = Buffer.concat(chunks).equals(payload);
                fs.closeSync(fd);
                console.log(JSON.stringify({ same, total }));
                process.exit(0);
            }
        });
        r.on('error', e => { console.log(JSON.stringify({ error: String(e) })); process.exit(2); });
        w.on('error', e => { console.log(JSON.stringify({ error: String(e) })); process.exit(3); });
        for (let i = 0; i < payload.length; i += 30000)
            w.write(payload.subarray(i, i + 30000));
        """;

    [Test]
    public void Node_fs_streams_on_a_socket_file_talk_to_an_echo_server()
    {
        if (Run.Bash("command -v node").ExitCode != 0)
            Assert.Ignore("node is not installed");
        using var tmp = new TempDir("sock");
        using var m = new NetnsfsMount("create");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "echo,127.0.0.1,7020");
        string script = SocketKit.WriteFile(tmp, "streams.js", NodeStreamsJs);

        var r = SocketKit.Json(Run.Process("node", [script, m["tcp/127.0.0.1/7020"]], SocketKit.Long));
        Assert.That(r.TryGetProperty("error", out _), Is.False, r.ToString());
        Assert.That(r.GetProperty("total").GetInt32(), Is.EqualTo(300000));
        Assert.That(r.GetProperty("same").GetBoolean(), Is.True, "300 kB written by a WriteStream come back through a ReadStream intact");
    }

    private const string EpollEdgePy = """
        import json, os, select, sys, time
        fd = os.open(sys.argv[1], os.O_RDWR)
        os.set_blocking(fd, False)
        ep = select.epoll()
        ep.register(fd, select.EPOLLIN | select.EPOLLET)
        idle = ep.poll(0.3)
        os.write(fd, b'go')
        t0 = time.monotonic()
        wakes, data, after_drain = [], b'', []
        while len(data) < len(b'chunk0;chunk1;chunk2;') and time.monotonic() - t0 < 10:
            ev = ep.poll(5)
            if not ev:
                break
            wakes.append(round((time.monotonic() - t0) * 1000))
            while True:
                try:
                    d = os.read(fd, 4096)
                except BlockingIOError:
                    break
                if not d:
                    break
                data += d
            if len(data) < 21:
                after_drain.append(len(ep.poll(0.1)))
        quiet = ep.poll(0.5)
        os.close(fd)
        print(json.dumps({'idle': len(idle), 'wakes': wakes, 'data': data.decode(), 'after_drain': after_drain, 'quiet': len(quiet)}))
        """;

    [Test]
    public void Edge_triggered_epoll_on_a_socket_file_wakes_for_each_new_arrival()
    {
        using var tmp = new TempDir("sock");
        using var m = new NetnsfsMount("create");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "chunks,127.0.0.1,7030");

        var r = SocketKit.Json(SocketKit.Python(tmp, EpollEdgePy, m["tcp/127.0.0.1/7030"]));
        Assert.That(r.GetProperty("idle").GetInt32(), Is.Zero, $"no event before any data: {r}");
        Assert.That(r.GetProperty("data").GetString(), Is.EqualTo("chunk0;chunk1;chunk2;"), $"every chunk arrived through EPOLLET wakeups: {r}");
        var wakes = r.GetProperty("wakes").EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.That(wakes, Has.Count.InRange(2, 6), $"about one wakeup per chunk (sent 400 ms apart; two may coalesce under load): {r}");
        Assert.That(wakes[^1], Is.GreaterThanOrEqualTo(1000), $"the last wakeup came with the last chunk, not before: {r}");
        Assert.That(r.GetProperty("after_drain").EnumerateArray().Select(e => e.GetInt32()), Is.All.Zero, $"drained: no event until new data: {r}");
        Assert.That(r.GetProperty("quiet").GetInt32(), Is.Zero, $"nothing after the last chunk: {r}");
    }

    private const string NonBlockingReadPy = """
        import errno, fcntl, json, os, select, sys, time
        path = sys.argv[1]
        def try_read(fd):
            try:
                return 'data:' + os.read(fd, 100).decode()
            except OSError as e:
                return errno.errorcode.get(e.errno, str(e.errno))
        out = {}
        # O_NONBLOCK at open
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        p = select.poll(); p.register(fd, select.POLLOUT)
        p.poll(5000)  # connected
        t = time.monotonic()
        out['open_flag'] = try_read(fd)
        out['open_flag_ms'] = (time.monotonic() - t) * 1000
        os.write(fd, b'hello')
        p = select.poll(); p.register(fd, select.POLLIN)
        out['poll_in'] = len(p.poll(10000))
        out['open_flag_after_data'] = try_read(fd)
        out['open_flag_drained'] = try_read(fd)
        os.close(fd)
        # blocking open, then fcntl(F_SETFL, O_NONBLOCK)
        fd = os.open(path, os.O_RDWR)
        fl = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)
        t = time.monotonic()
        out['fcntl'] = try_read(fd)
        out['fcntl_ms'] = (time.monotonic() - t) * 1000
        # back to blocking: a read waits for the echo
        fcntl.fcntl(fd, fcntl.F_SETFL, fl)
        os.write(fd, b'again')
        out['blocking_again'] = try_read(fd)
        os.close(fd)
        print(json.dumps(out))
        """;

    [Test]
    public void Reads_answer_EAGAIN_without_data_under_O_NONBLOCK_from_open_or_fcntl()
    {
        using var tmp = new TempDir("sock");
        using var m = new NetnsfsMount("create");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "echo,127.0.0.1,7040");

        var r = SocketKit.Json(SocketKit.Python(tmp, NonBlockingReadPy, m["tcp/127.0.0.1/7040"]));
        Assert.That(r.GetProperty("open_flag").GetString(), Is.EqualTo("EAGAIN"), r.ToString());
        Assert.That(r.GetProperty("open_flag_ms").GetDouble(), Is.LessThan(2000), r.ToString());
        Assert.That(r.GetProperty("poll_in").GetInt32(), Is.EqualTo(1), r.ToString());
        Assert.That(r.GetProperty("open_flag_after_data").GetString(), Is.EqualTo("data:hello"), r.ToString());
        Assert.That(r.GetProperty("open_flag_drained").GetString(), Is.EqualTo("EAGAIN"), r.ToString());
        Assert.That(r.GetProperty("fcntl").GetString(), Is.EqualTo("EAGAIN"), $"O_NONBLOCK set by fcntl after the open counts too: {r}");
        Assert.That(r.GetProperty("fcntl_ms").GetDouble(), Is.LessThan(2000), r.ToString());
        Assert.That(r.GetProperty("blocking_again").GetString(), Is.EqualTo("data:again"), $"cleared again, the read waits for data: {r}");
    }

    private const string HalfCloseBash = """
        M=$1
        exec 3<>"$M/tcp/127.0.0.1/7050" || exit 1
        printf 'half-close payload' >&3
        echo shutdown > "$M/conn/self/ctl" || { echo "ctl failed"; exit 1; }
        cat <&3
        exec 3>&-
        """;

    private const string HalfCloseByNumberPy = """
        import json, os, select, sys
        M = sys.argv[1]
        fd = os.open(M + '/tcp/127.0.0.1/7050', os.O_RDWR)
        payload = b'x' * 100000
        n = 0
        while n < len(payload):
            n += os.write(fd, payload[n:])
        p = select.poll(); p.register(fd, select.POLLIN)
        before = len(p.poll(700))
        mine = [c for c in os.listdir(M + '/conn') if open('%s/conn/%s/path' % (M, c)).read().strip() == 'tcp/127.0.0.1/7050'
                and open('%s/conn/%s/owner' % (M, c)).read().startswith('pid=%d ' % os.getpid())]
        with open('%s/conn/%s/ctl' % (M, mine[0]), 'w') as ctl:
            ctl.write('shutdown\n')
        reply = b''
        while True:
            d = os.read(fd, 4096)
            if not d:
                break
            reply += d
        state = open('%s/conn/%s/state' % (M, mine[0])).read().strip()
        os.close(fd)
        print(json.dumps({'before': before, 'conns': len(mine), 'reply': reply.decode(), 'state': state}))
        """;

    [Test]
    public void Half_close_through_ctl_lets_a_server_that_waits_for_EOF_answer()
    {
        using var tmp = new TempDir("sock");
        using var m = new NetnsfsMount("create");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "eof,127.0.0.1,7050");

        var bash = Run.Process("/bin/bash", ["-c", HalfCloseBash, "client", m.Dir], Wait);
        Assert.That(bash.ExitCode, Is.Zero, bash.ToString());
        string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("half-close payload"u8));
        Assert.That(bash.Stdout.Trim(), Is.EqualTo($"len=18 sha={sha}"), "echo shutdown > conn/self/ctl in the shell that holds the socket");

        var py = SocketKit.Json(SocketKit.Python(tmp, HalfCloseByNumberPy, m.Dir));
        Assert.That(py.GetProperty("conns").GetInt32(), Is.EqualTo(1), py.ToString());
        Assert.That(py.GetProperty("before").GetInt32(), Is.Zero, $"the server says nothing before EOF: {py}");
        string sha2 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(new byte[100000].Select(_ => (byte)'x').ToArray()));
        Assert.That(py.GetProperty("reply").GetString(), Is.EqualTo($"len=100000 sha={sha2}\n"), $"conn/N/ctl: {py}");
        Assert.That(py.GetProperty("state").GetString(), Is.Not.EqualTo("ESTABLISHED"), $"after our FIN and theirs: {py}");
    }

    private const string UnixDialPy = """
        import errno, json, os, sys
        M, name = sys.argv[1], sys.argv[2]
        fd = os.open('%s/unix/@%s' % (M, name), os.O_RDWR)
        os.write(fd, b'over abstract unix')
        reply = os.read(fd, 100)
        os.close(fd)
        try:
            os.close(os.open('%s/unix/@%s-nobody' % (M, name), os.O_RDWR))
            missing = 'opened'
        except OSError as e:
            missing = errno.errorcode.get(e.errno, str(e.errno))
        print(json.dumps({'reply': reply.decode(), 'missing': missing}))
        """;

    [Test]
    public void Unix_at_name_dials_an_abstract_echo_service_that_exists_only_inside_the_namespace()
    {
        using var tmp = new TempDir("sock");
        using var m = new NetnsfsMount("create");
        string name = SocketKit.UniqueName("netnsfs-u-");
        using var servers = SocketKit.StartServers(m["ns"], tmp, $"uecho,{name}");

        var r = SocketKit.Json(SocketKit.Python(tmp, UnixDialPy, m.Dir, name));
        Assert.That(r.GetProperty("reply").GetString(), Is.EqualTo("over abstract unix"));
        Assert.That(r.GetProperty("missing").GetString(), Is.EqualTo("ECONNREFUSED"), "no such abstract socket in the namespace");
        var outside = SocketKit.Python(tmp, "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n  s.connect('\\0'+sys.argv[1]); print('connected')\nexcept OSError as e: print(e.errno)\n", name);
        Assert.That(outside.Stdout.Trim(), Is.EqualTo("111"), "the host's namespace has no such abstract socket: the file reached the mount's");
    }
}
