using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Sockets;

/// <summary>The daemon's /dev/fuse readers (ReaderGate): while requests are small one reader waits
/// in read(2) and the others are parked; a bulk transfer sets them all reading; small requests
/// bring it back to one. Seen from outside, in each reader thread's wchan.</summary>
public sealed class ReaderGateTests
{
    /// <summary>argv: MOUNT. Samples the daemon's fuse-reader threads idle, during 1.5 s of 1 MiB
    /// writes through a socket file (a thread in the namespace reads them), and after rounds of 20
    /// small requests that follow (0.3 s later), until one reader reads again (at most 10 rounds).</summary>
    private const string GatePy = """
        import glob, json, mmap, os, socket, sys, threading, time
        M = sys.argv[1]
        pid = [l.split('=')[1] for l in open(os.path.join(M, 'status')).read().split() if l.startswith('pid=')][0]
        def readers():
            states = []
            for t in glob.glob('/proc/%s/task/*' % pid):
                try:
                    if open(t + '/comm').read().startswith('fuse-reader'):
                        states.append(open(t + '/wchan').read())
                except OSError:
                    pass
            return {'readers': len(states), 'in_read': sum(s == 'fuse_dev_do_read' for s in states),
                    'parked': sum(s.startswith('futex') for s in states)}
        time.sleep(0.3)
        idle = readers()
        srv = socket.socket()
        srv.bind(('127.0.0.1', 0))
        srv.listen(1)
        fd = os.open('%s/tcp/127.0.0.1/%d' % (M, srv.getsockname()[1]), os.O_RDWR)
        conn, _ = srv.accept()
        def drain():
            while conn.recv(1 << 20):
                pass
        threading.Thread(target=drain, daemon=True).start()
        chunk = mmap.mmap(-1, 1 << 20)
        stop = time.monotonic() + 1.5
        def write():
            while time.monotonic() < stop:
                os.write(fd, chunk)
        writer = threading.Thread(target=write)
        writer.start()
        most = 0
        while writer.is_alive():
            most = max(most, readers()['in_read'])
            time.sleep(0.002)
        os.close(fd)
        time.sleep(0.3)  # past the gate's 100 ms without big transfers
        # A reader that was in read(2) when the gate closed leaves it only with the next request the
        # kernel hands it (oldest waiter first): small requests in rounds until it has had one.
        for round in range(10):
            for i in range(20):
                open(os.path.join(M, 'status')).read()
            time.sleep(0.3)
            after = readers()
            if after['in_read'] == 1 and after['parked'] == after['readers'] - 1:
                break
        print(json.dumps({'idle': idle, 'most_in_read_streaming': most, 'after': after, 'rounds': round + 1}))
        """;

    [Test]
    public void One_reader_reads_while_requests_are_small_and_all_read_during_a_bulk_transfer()
    {
        using var tmp = new TempDir("gate");
        using var m = new NetnsfsMount("create");
        var j = SocketKit.Json(SocketKit.PythonIn(m["ns"], tmp, GatePy, m.Dir));
        TestContext.Progress.WriteLine(j.ToString());
        var idle = j.GetProperty("idle");
        var after = j.GetProperty("after");
        int readers = idle.GetProperty("readers").GetInt32();
        Assert.That(readers, Is.GreaterThanOrEqualTo(2), "the daemon has several readers");
        Assert.Multiple(() =>
        {
            Assert.That(idle.GetProperty("in_read").GetInt32(), Is.EqualTo(1), "idle: one reader waits in read(2)");
            Assert.That(idle.GetProperty("parked").GetInt32(), Is.EqualTo(readers - 1), "idle: the others are parked");
            Assert.That(j.GetProperty("most_in_read_streaming").GetInt32(), Is.GreaterThanOrEqualTo(2),
                "during 1 MiB writes more than one reader waits in read(2)");
            Assert.That(after.GetProperty("in_read").GetInt32(), Is.EqualTo(1), "small requests after it: one reader again");
            Assert.That(after.GetProperty("parked").GetInt32(), Is.EqualTo(readers - 1));
        });
    }
}
