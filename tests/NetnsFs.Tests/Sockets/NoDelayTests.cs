using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Sockets;

/// <summary>TCP sockets behind socket files send without Nagle's delay (TCP_NODELAY): the daemon
/// sends whole writes and cannot know whether more follows. Checked on the daemon's own sockets,
/// taken from it with pidfd_getfd(2).</summary>
public sealed class NoDelayTests
{
    /// <summary>argv: MOUNT DAEMON_PID. Inside the namespace: a dialled connection (tcp/HOST/PORT)
    /// and an accepted one (tcp/listen/PORT, a dual-stack socket); for each, the daemon's socket is
    /// found by its local and remote ports and its TCP_NODELAY read. The script's own client socket is the control (0).</summary>
    private const string NoDelayPy = """
        import ctypes, json, os, socket, sys, threading
        M, pid = sys.argv[1], int(sys.argv[2])
        libc = ctypes.CDLL(None, use_errno=True)
        pidfd = os.pidfd_open(pid)
        def daemon_nodelay(local_port, remote_port):
            for name in os.listdir('/proc/%d/fd' % pid):
                if not os.readlink('/proc/%d/fd/%s' % (pid, name)).startswith('socket:'):
                    continue
                fd = libc.syscall(438, pidfd, int(name), 0)  # pidfd_getfd
                if fd < 0:
                    continue
                s = socket.socket(fileno=fd)
                try:
                    if s.family in (socket.AF_INET, socket.AF_INET6) and s.type == socket.SOCK_STREAM \
                            and s.getsockname()[1] == local_port and s.getpeername()[1] == remote_port:
                        return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                except OSError:
                    pass
                finally:
                    s.close()
            return None
        srv = socket.socket()
        srv.bind(('127.0.0.1', 0))
        srv.listen(1)
        port = srv.getsockname()[1]
        dialled = os.open('%s/tcp/127.0.0.1/%d' % (M, port), os.O_RDWR)
        peer, addr = srv.accept()
        out = {'dialled': daemon_nodelay(addr[1], port)}
        probe = socket.socket()
        probe.bind(('127.0.0.1', 0))
        lport = probe.getsockname()[1]
        probe.close()
        got = {}
        def accept():
            got['fd'] = os.open('%s/tcp/listen/%d' % (M, lport), os.O_RDWR)
        t = threading.Thread(target=accept)
        t.start()
        client = socket.socket()
        for _ in range(200):
            try:
                client.connect(('127.0.0.1', lport))
                break
            except ConnectionRefusedError:
                threading.Event().wait(0.01)
        t.join()
        out['accepted'] = daemon_nodelay(lport, client.getsockname()[1])
        out['control'] = client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        os.close(got['fd'])
        os.close(dialled)
        print(json.dumps(out))
        """;

    [Test]
    public void Dialled_and_accepted_TCP_sockets_have_TCP_NODELAY()
    {
        using var tmp = new TempDir("nodelay");
        using var m = new NetnsfsMount("create");
        var j = SocketKit.Json(SocketKit.PythonIn(m["ns"], tmp, NoDelayPy, m.Dir, m.DaemonPid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        TestContext.Progress.WriteLine(j.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(j.GetProperty("control").GetInt32(), Is.Zero, "a plain socket has Nagle on: the check can tell");
            Assert.That(j.GetProperty("dialled").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Number), "the daemon's dialled socket was found");
            Assert.That(j.GetProperty("dialled").GetInt32(), Is.Not.Zero, "dialled: TCP_NODELAY");
            Assert.That(j.GetProperty("accepted").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Number), "the daemon's accepted socket was found");
            Assert.That(j.GetProperty("accepted").GetInt32(), Is.Not.Zero, "accepted: TCP_NODELAY");
        });
    }
}
