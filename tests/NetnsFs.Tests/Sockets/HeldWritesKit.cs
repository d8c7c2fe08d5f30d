using System.Globalization;
using System.Text.Json;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Sockets;

/// <summary>The daemon ended (a signal) while a socket file holds written-behind data: what the
/// writer was told it wrote, and what the peer then got and how its stream ended.</summary>
public static class HeldWritesKit
{
    /// <summary>argv: MOUNT DAEMON_PID SIGNAL UID. Runs inside the namespace, as root: listens with a
    /// 4 KiB receive buffer and never reads until the end; starts the writer (as UID through setpriv
    /// unless 0), which dials the listener through the mount, writes 1 byte (blocking: the socket is
    /// then in use), then non-blocking page-aligned 1 MiB writes until EAGAIN, prints what they
    /// returned, and keeps the file open. Then reads the mount's held_writes, sends SIGNAL to the
    /// daemon and waits (pidfd, at most 30 s) for it to exit; then reads the accepted end to its end
    /// (an error, EOF, or nothing for 30 s once the daemon is gone, 2 s if it is not).</summary>
    private const string Script = $$"""
        import errno, json, os, select, signal, socket, subprocess, sys, time
        M, daemon, sig, uid = sys.argv[1], int(sys.argv[2]), getattr(signal, sys.argv[3]), int(sys.argv[4])
        WRITER = '''
        import json, mmap, os, sys
        fd = os.open(sys.argv[1], os.O_RDWR)
        os.write(fd, b"x")
        os.set_blocking(fd, False)
        chunk = mmap.mmap(-1, 1 << 20)
        acked = 1
        for i in range(64):
            try:
                acked += os.write(fd, chunk)
            except BlockingIOError:
                break
        print(json.dumps({"acked": acked}), flush=True)
        sys.stdin.read()
        try:
            os.close(fd)
        except OSError:
            pass
        '''
        {{PyFunctions.Status}}
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        srv.bind(('127.0.0.1', 0))
        srv.listen(1)
        srv.settimeout(30)
        cmd = ['/usr/bin/python3', '-c', WRITER, '%s/tcp/127.0.0.1/%d' % (M, srv.getsockname()[1])]
        if uid:
            cmd = ['setpriv', '--reuid=%d' % uid, '--regid=%d' % uid, '--clear-groups', '--'] + cmd
        w = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd='/')
        conn, _ = srv.accept()
        acked = json.loads(w.stdout.readline())['acked']
        held = int(status(M)['held_writes'])
        pidfd = os.pidfd_open(daemon)
        t0 = time.monotonic()
        os.kill(daemon, sig)
        p = select.poll()
        p.register(pidfd, select.POLLIN)
        exited = bool(p.poll(30000))
        seconds = time.monotonic() - t0
        received, end = 0, 'eof'
        conn.settimeout(30 if exited else 2)
        while True:
            try:
                b = conn.recv(1 << 16)
            except ConnectionResetError:
                end = 'ECONNRESET'
                break
            except socket.timeout:
                end = 'timeout'
                break
            if not b:
                break
            received += len(b)
        w.stdin.close()
        w.wait(10)
        print(json.dumps({'acked': acked, 'held': held, 'exited': exited, 'seconds': seconds,
                          'received': received, 'end': end}))
        """;

    /// <summary>Runs <see cref="Script"/> inside the namespace at <paramref name="nsPath"/>; returns
    /// (and logs) its report.</summary>
    public static JsonElement Run(string nsPath, TempDir tmp, string mountDir, int daemonPid, string signal, int uid)
    {
        var j = SocketKit.Json(SocketKit.PythonIn(nsPath, tmp, Script, mountDir, daemonPid.ToString(CultureInfo.InvariantCulture), signal,
            uid.ToString(CultureInfo.InvariantCulture)));
        TestContext.Progress.WriteLine(j.ToString());
        return j;
    }
}
