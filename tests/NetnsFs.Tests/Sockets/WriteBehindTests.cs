using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Sockets;

/// <summary>Large writes to a connected stream socket are answered once the daemon holds their data
/// (write-behind, <c>-o linger=</c>): what the writer was told it wrote must still reach the peer
/// after close, a peer that never takes it must hear of the loss, and errors must still surface.</summary>
public sealed class WriteBehindTests
{
    /// <summary>argv: MOUNT MODE [DELAY]. Listens in the namespace with a 4 KiB receive buffer, dials
    /// itself through the mount, writes 1 byte (blocking), then non-blocking 1 MiB writes until
    /// EAGAIN (at most 64), looks at POLLOUT, closes the file; then, after DELAY seconds, reads the
    /// accepted end to its end. MODE "reset": the peer resets at once and the file gets blocking
    /// 256 KiB writes until one fails.</summary>
    private const string WriterPy = """
        import errno, hashlib, json, mmap, os, select, socket, struct, sys, time
        M, mode = sys.argv[1], sys.argv[2]
        delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        srv.bind(('127.0.0.1', 0))
        srv.listen(1)
        fd = os.open('%s/tcp/127.0.0.1/%d' % (M, srv.getsockname()[1]), os.O_RDWR)
        conn, _ = srv.accept()
        os.write(fd, b'x')
        if mode == 'reset':
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            conn.close()
            time.sleep(0.3)
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
        total, sizes, again = 1, [], False
        os.set_blocking(fd, False)
        chunk = mmap.mmap(-1, 1 << 20)  # page-aligned: one FUSE write per os.write
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
        os.close(fd)
        time.sleep(delay)
        got, n, end = hashlib.sha256(), 0, 'eof'
        conn.settimeout(30)
        while True:
            try:
                b = conn.recv(1 << 20)
            except ConnectionResetError:
                end = 'ECONNRESET'
                break
            if not b:
                break
            got.update(b)
            n += len(b)
        print(json.dumps({'again': again, 'sizes': sizes, 'pollout': pollout, 'sent': total,
                          'received': n, 'same': got.digest() == sent.digest(), 'end': end}))
        """;

    [Test]
    public void Data_of_answered_writes_reaches_the_peer_after_close()
    {
        using var tmp = new TempDir("wb");
        using var m = new NetnsfsMount("create");
        var j = SocketKit.Json(SocketKit.PythonIn(m["ns"], tmp, WriterPy, m.Dir, "drain"));
        TestContext.Progress.WriteLine(j.ToString());
        var sizes = j.GetProperty("sizes").EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(j.GetProperty("again").GetBoolean(), Is.True, "the non-blocking writes reached EAGAIN");
            Assert.That(sizes, Is.Not.Empty);
            Assert.That(sizes, Has.All.EqualTo(1 << 20), "a large write is answered whole: the daemon holds what the socket has not taken");
            Assert.That(j.GetProperty("pollout").GetBoolean(), Is.False, "not writable while answered data waits");
            Assert.That(j.GetProperty("received").GetInt64(), Is.EqualTo(j.GetProperty("sent").GetInt64()), "every answered byte arrives, though the file was closed first");
            Assert.That(j.GetProperty("same").GetBoolean(), Is.True, "in order and intact");
            Assert.That(j.GetProperty("end").GetString(), Is.EqualTo("eof"), "then a clean end");
        });
        Assert.That(SocketKit.Eventually(() => m.Status["sockets"] == "0", TimeSpan.FromSeconds(5)), Is.True);
    }

    [Test]
    public void A_peer_that_takes_nothing_within_the_linger_time_gets_a_reset_and_the_socket_is_freed()
    {
        using var tmp = new TempDir("wb");
        string log = Path.Combine(tmp.Path, "daemon.log");
        using var m = new NetnsfsMount($"create,linger=1,log={log}");
        int socketsBefore = DaemonSockets(m);
        var j = SocketKit.Json(SocketKit.PythonIn(m["ns"], tmp, WriterPy, m.Dir, "late", "3"));
        TestContext.Progress.WriteLine(j.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(j.GetProperty("again").GetBoolean(), Is.True, "answered data was still held at close");
            Assert.That(j.GetProperty("end").GetString(), Is.EqualTo("ECONNRESET"), "the peer learns that data was lost");
            Assert.That(j.GetProperty("received").GetInt64(), Is.LessThan(j.GetProperty("sent").GetInt64()));
            Assert.That(File.ReadAllText(log), Does.Contain("still unsent: resetting the connection"));
            Assert.That(SocketKit.Eventually(() => DaemonSockets(m) <= socketsBefore, TimeSpan.FromSeconds(5)), Is.True,
                $"the daemon let the socket go: {DaemonSockets(m)} sockets, {socketsBefore} before");
        });
    }

    private static int DaemonSockets(NetnsfsMount m) =>
        Load.LoadSupport.FdTargets(m.DaemonPid).Count(t => t.Contains("socket:", StringComparison.Ordinal));

    [Test]
    public void Linger_0_answers_a_write_only_with_what_the_socket_took()
    {
        using var tmp = new TempDir("wb");
        using var m = new NetnsfsMount("create,linger=0");
        var j = SocketKit.Json(SocketKit.PythonIn(m["ns"], tmp, WriterPy, m.Dir, "drain"));
        TestContext.Progress.WriteLine(j.ToString());
        var sizes = j.GetProperty("sizes").EnumerateArray().Select(e => e.GetInt32()).ToList();
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
        var j = SocketKit.Json(SocketKit.PythonIn(m["ns"], tmp, WriterPy, m.Dir, "reset"));
        TestContext.Progress.WriteLine(j.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(j.GetProperty("error").GetString(), Is.AnyOf("ECONNRESET", "EPIPE"));
            Assert.That(j.GetProperty("writes_ok").GetInt32(), Is.LessThanOrEqualTo(1),
                "at most the write whose send found the reset was answered before it");
        });
    }
}
