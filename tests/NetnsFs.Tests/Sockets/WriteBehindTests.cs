using System.Text.Json;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Sockets;

/// <summary>Large writes to a connected stream socket are answered once the daemon holds their data
/// (write-behind, <c>-o linger=</c>): what the writer was told it wrote must still reach the peer
/// after close, a peer that never takes it must hear of the loss, and errors must still surface.</summary>
public sealed class WriteBehindTests
{
    /// <summary>argv: MOUNT MODE [DELAY]. Listens in the namespace with a 4 KiB receive buffer and
    /// dials itself through the mount; writes 1 byte (blocking: the socket is then in use). Modes:
    /// "reset": the peer resets, then blocking 256 KiB writes until one fails. "blocking": 8 MiB in
    /// blocking 1 MiB writes while a thread reads slowly, then close. Otherwise: non-blocking 1 MiB
    /// writes until EAGAIN (at most 64), POLLOUT looked at, the mount's status read; then
    /// "laterreset": the peer resets and one more (blocking) write is made; "unmount": the file is
    /// closed and the mount unmounted (and the daemon's exit awaited); else the file is closed. Then,
    /// after DELAY seconds, the accepted end is read to its end.</summary>
    private const string WriterPy = $$"""
        import errno, hashlib, json, mmap, os, select, socket, struct, subprocess, sys, threading, time
        M, mode = sys.argv[1], sys.argv[2]
        delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
        {{PyFunctions.Status}}
        def read_all(conn, out):
            got, n, end = hashlib.sha256(), 0, 'eof'
            conn.settimeout(30)
            while True:
                try:
                    b = conn.recv(1 << 16)
                except ConnectionResetError:
                    end = 'ECONNRESET'
                    break
                if not b:
                    break
                got.update(b)
                n += len(b)
                if mode == 'blocking':
                    time.sleep(0.001)
            out.update(digest=got.digest(), received=n, end=end)
        def reset(conn):
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            conn.close()
            time.sleep(0.3)
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        srv.bind(('127.0.0.1', 0))
        srv.listen(1)
        fd = os.open('%s/tcp/127.0.0.1/%d' % (M, srv.getsockname()[1]), os.O_RDWR)
        conn, _ = srv.accept()
        os.write(fd, b'x')
        if mode == 'reset':
            reset(conn)
            result = {'writes_ok': 0, 'error': None}
            for i in range(32):
                try:
                    os.write(fd, bytes(256 << 10))
                    result['writes_ok'] += 1
                except OSError as e:
                    result['error'] = errno.errorcode[e.errno]
                    break
            os.close(fd)
            print(json.dumps(result))
            sys.exit(0)
        sent = hashlib.sha256(b'x')
        total, sizes, again, report = 1, [], False, {}
        if mode == 'blocking':
            data = mmap.mmap(-1, 8 << 20)  # page-aligned: one FUSE write per 1 MiB os.write
            data.write(os.urandom(8 << 20))
            reader = threading.Thread(target=read_all, args=(conn, report))
            reader.start()
            for i in range(8):
                n = os.write(fd, memoryview(data)[i << 20:(i + 1) << 20])
                sent.update(data[i << 20:(i << 20) + n])
                total += n
                sizes.append(n)
            os.close(fd)
            reader.join()
            pollout, held, lingering = None, None, None
        else:
            os.set_blocking(fd, False)
            chunk = mmap.mmap(-1, 1 << 20)
            chunk.write(os.urandom(1 << 20))
            for i in range(64):
                try:
                    n = os.write(fd, chunk)
                except BlockingIOError:
                    again = True
                    break
                sent.update(chunk[:n])
                total += n
                sizes.append(n)
            p = select.poll()
            p.register(fd, select.POLLOUT)
            pollout = any(ev & select.POLLOUT for _, ev in p.poll(0))
            held = int(status(M)['held_writes'])
            if mode == 'laterreset':
                reset(conn)
                os.set_blocking(fd, True)
                try:
                    os.write(fd, b'y')
                    report['next_write'] = 'ok'
                except OSError as e:
                    report['next_write'] = errno.errorcode[e.errno]
                os.close(fd)
                print(json.dumps({'again': again, 'held': held, **report}))
                sys.exit(0)
            os.close(fd)
            # The release reaches the daemon after close returns: wait until it is done with it (the
            # file gone, and its held data either still sending or dropped).
            await_status(M, 'the release of the closed file',
                         lambda s: s['sockets'] == '0' and (s['lingering_sockets'] != '0' or s['held_writes'] == '0'), timeout=10)
            lingering = int(status(M)['lingering_sockets'])
            if mode == 'unmount':
                # The daemon ends the mount after umount returns: read only once it is gone.
                daemon = os.pidfd_open(int(status(M)['pid']))
                subprocess.run(['umount', M], check=True)
                select.select([daemon], [], [], 10)
            time.sleep(delay)
            read_all(conn, report)
        print(json.dumps({'again': again, 'sizes': sizes, 'pollout': pollout, 'held': held,
                          'lingering': lingering, 'sent': total, 'received': report['received'],
                          'same': report['digest'] == sent.digest(), 'end': report['end']}))
        """;

    /// <summary>Runs <see cref="WriterPy"/> inside the namespace at <paramref name="nsPath"/> against
    /// mount <paramref name="m"/>; returns (and logs) its report.</summary>
    private static JsonElement RunWriter(string nsPath, TempDir tmp, NetnsfsMount m, params string[] args)
    {
        var j = SocketKit.Json(SocketKit.PythonIn(nsPath, tmp, WriterPy, [m.Dir, .. args]));
        TestContext.Progress.WriteLine(j.ToString());
        return j;
    }

    /// <summary>What each write returned.</summary>
    private static List<int> Sizes(JsonElement j) => [.. j.GetProperty("sizes").EnumerateArray().Select(e => e.GetInt32())];

    [Test]
    public void Data_of_answered_writes_reaches_the_peer_after_close()
    {
        using var tmp = new TempDir("wb");
        using var m = new NetnsfsMount("create");
        var j = RunWriter(m["ns"], tmp, m, "drain");
        var sizes = Sizes(j);
        Assert.Multiple(() =>
        {
            Assert.That(j.GetProperty("again").GetBoolean(), Is.True, "the non-blocking writes reached EAGAIN");
            Assert.That(sizes, Is.Not.Empty);
            Assert.That(sizes, Has.All.EqualTo(1 << 20), "a large write is answered whole: the daemon holds what the socket has not taken");
            Assert.That(j.GetProperty("pollout").GetBoolean(), Is.False, "not writable while answered data waits");
            Assert.That(j.GetProperty("held").GetInt32(), Is.EqualTo(1), "status: one answered write held");
            Assert.That(j.GetProperty("lingering").GetInt32(), Is.EqualTo(1), "status: the closed socket still sends");
            Assert.That(j.GetProperty("received").GetInt64(), Is.EqualTo(j.GetProperty("sent").GetInt64()), "every answered byte arrives, though the file was closed first");
            Assert.That(j.GetProperty("same").GetBoolean(), Is.True, "in order and intact");
            Assert.That(j.GetProperty("end").GetString(), Is.EqualTo("eof"), "then a clean end");
        });
        Assert.That(Await.Eventually(() => m.Status["held_writes"] == "0" && m.Status["lingering_sockets"] == "0", TimeSpan.FromSeconds(5)), Is.True,
            "nothing held once the peer took it all");
    }

    [Test]
    public void Blocking_writes_behind_a_held_one_keep_their_order()
    {
        using var tmp = new TempDir("wb");
        using var m = new NetnsfsMount("create");
        var j = RunWriter(m["ns"], tmp, m, "blocking");
        Assert.Multiple(() =>
        {
            Assert.That(Sizes(j), Has.All.EqualTo(1 << 20));
            Assert.That(j.GetProperty("received").GetInt64(), Is.EqualTo(j.GetProperty("sent").GetInt64()));
            Assert.That(j.GetProperty("same").GetBoolean(), Is.True, "8 MiB through a slow reader, in order and intact");
            Assert.That(j.GetProperty("end").GetString(), Is.EqualTo("eof"));
        });
    }

    [Test]
    public void A_reset_found_while_sending_held_data_is_the_next_writes_error()
    {
        using var tmp = new TempDir("wb");
        using var m = new NetnsfsMount("create");
        var j = RunWriter(m["ns"], tmp, m, "laterreset");
        Assert.That(j.GetProperty("again").GetBoolean(), Is.True, "answered data was held when the peer reset");
        Assert.That(j.GetProperty("next_write").GetString(), Is.EqualTo("ECONNRESET"),
            "the send of the held data met the reset; the next write reports it (a plain send would now say EPIPE)");
        Assert.That(Await.Eventually(() => m.Status["held_writes"] == "0", TimeSpan.FromSeconds(5)), Is.True);
    }

    [Test]
    public void Unmounting_while_a_closed_socket_still_sends_resets_it()
    {
        using var tmp = new TempDir("wb");
        using var ns = new NamespaceHolder();
        using var m = new NetnsfsMount($"netns={ns.Path}");
        var j = RunWriter(ns.Path, tmp, m, "unmount");
        Assert.Multiple(() =>
        {
            Assert.That(j.GetProperty("lingering").GetInt32(), Is.EqualTo(1), "the closed socket was still sending");
            Assert.That(j.GetProperty("end").GetString(), Is.EqualTo("ECONNRESET"), "the daemon could not send the rest: the peer is told");
            Assert.That(j.GetProperty("received").GetInt64(), Is.LessThan(j.GetProperty("sent").GetInt64()));
        });
        Assert.That(m.WaitDaemonExit(TimeSpan.FromSeconds(5)), Is.True);
    }

    [Test]
    public void A_peer_that_takes_nothing_within_the_linger_time_gets_a_reset_and_the_socket_is_freed()
    {
        using var tmp = new TempDir("wb");
        string log = Path.Combine(tmp.Path, "daemon.log");
        using var m = new NetnsfsMount($"create,linger=1,log={log}");
        int socketsBefore = DaemonSockets(m);
        var j = RunWriter(m["ns"], tmp, m, "late", "3");
        Assert.Multiple(() =>
        {
            Assert.That(j.GetProperty("again").GetBoolean(), Is.True, "answered data was still held at close");
            Assert.That(j.GetProperty("end").GetString(), Is.EqualTo("ECONNRESET"), "the peer learns that data was lost");
            Assert.That(j.GetProperty("received").GetInt64(), Is.LessThan(j.GetProperty("sent").GetInt64()));
            Assert.That(File.ReadAllText(log), Does.Contain("of answered writes still unsent (nothing was taken for the linger time): resetting the connection"));
            Assert.That(Await.Eventually(() => DaemonSockets(m) <= socketsBefore, TimeSpan.FromSeconds(5)), Is.True,
                $"the daemon let the socket go: {DaemonSockets(m)} sockets, {socketsBefore} before");
        });
    }

    private static int DaemonSockets(NetnsfsMount m) => ProcNet.SocketInodes(m.DaemonPid).Count;

    [Test]
    public void Linger_0_answers_a_write_only_with_what_the_socket_took()
    {
        using var tmp = new TempDir("wb");
        using var m = new NetnsfsMount("create,linger=0");
        var j = RunWriter(m["ns"], tmp, m, "drain");
        var sizes = Sizes(j);
        Assert.Multiple(() =>
        {
            Assert.That(j.GetProperty("again").GetBoolean(), Is.True);
            Assert.That(sizes[^1], Is.LessThan(1 << 20), "the last write before EAGAIN reports the part the socket took");
            Assert.That(j.GetProperty("received").GetInt64(), Is.EqualTo(j.GetProperty("sent").GetInt64()));
            Assert.That(j.GetProperty("same").GetBoolean(), Is.True);
        });
    }

    [Test]
    public void Large_writes_after_the_peer_reset_fail_with_the_reset()
    {
        using var tmp = new TempDir("wb");
        using var m = new NetnsfsMount("create");
        var j = RunWriter(m["ns"], tmp, m, "reset");
        Assert.Multiple(() =>
        {
            Assert.That(j.GetProperty("error").GetString(), Is.AnyOf("ECONNRESET", "EPIPE"));
            Assert.That(j.GetProperty("writes_ok").GetInt32(), Is.Zero,
                "a reset the socket knows of already is the result of the write itself, not of the next one");
        });
    }
}
