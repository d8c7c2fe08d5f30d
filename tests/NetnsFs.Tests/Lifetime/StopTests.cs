using System.Globalization;
using NetnsFs.Tests.Sockets;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Lifetime;

/// <summary>Issue 17, item 3: SIGTERM unmounts lazily, and a lazily unmounted mount serves its open
/// files on: the daemon must still stop, by its stop deadline (-o stop_timeout=, default 5 s), with
/// every answered byte delivered or the peer reset; open files then get ENOTCONN.</summary>
public sealed class StopTests
{
    /// <summary>A bound far above the default deadline: the daemon stops by itself, not by a timing.</summary>

    [Test]
    public void SIGTERM_with_an_open_file_holding_answered_writes_stops_by_the_deadline_and_resets_the_stalled_peer()
    {
        using var tmp = new TempDir("stop");
        string log = Path.Combine(tmp.Path, "daemon.log");
        using var ns = new NamespaceHolder();
        using var m = new NetnsfsMount($"netns={ns.Path},allow_other,mode=0777,log={log}");
        try
        {
            var j = HeldWritesKit.Run(ns.Path, tmp, m.Dir, m.DaemonPid, "SIGTERM", 65534);
            long acked = j.GetProperty("acked").GetInt64();
            long received = j.GetProperty("received").GetInt64();
            string? end = j.GetProperty("end").GetString();
            Assert.Multiple(() =>
            {
                Assert.That(j.GetProperty("held").GetInt32(), Is.EqualTo(1), "an answered write was held at SIGTERM");
                Assert.That(j.GetProperty("exited").GetBoolean(), Is.True, "the daemon stopped though the file stayed open (not served on for ever)");
                Assert.That(end == "ECONNRESET" || (end == "eof" && received == acked), Is.True,
                    $"every answered byte delivered, or the peer reset: {received} of {acked} bytes, then {end}");
                Assert.That(File.ReadAllText(log), Does.Contain("still in use 5 s after SIGTERM (stop_timeout): stopping")
                    .And.Contain("the mount ends: 1 connections reset"), "one line says why it stopped, one how many sockets were reset");
            });
        }
        finally
        {
            LifetimeKit.KillDaemon(m.DaemonPid);
        }
    }

    /// <summary>argv: MOUNT DAEMON_PID. nobody opens a socket file and keeps it open; then SIGTERM,
    /// a wait for the daemon's exit (pidfd, at most 25 s), and nobody reads the file.</summary>
    private const string IdlePy = """
        import json, os, select, signal, subprocess, sys
        M, daemon = sys.argv[1], int(sys.argv[2])
        HOLDER = '''
        import errno, os, sys
        fd = os.open(os.path.join(sys.argv[1], "inet;stream;tcp"), os.O_RDWR)
        print("open", flush=True)
        sys.stdin.readline()
        try:
            os.read(fd, 1)
            print("ok", flush=True)
        except OSError as e:
            print(errno.errorcode[e.errno], flush=True)
        '''
        h = subprocess.Popen(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', '/usr/bin/python3', '-c', HOLDER, M],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd='/')
        assert h.stdout.readline().strip() == 'open'
        pidfd = os.pidfd_open(daemon)
        os.kill(daemon, signal.SIGTERM)
        p = select.poll()
        p.register(pidfd, select.POLLIN)
        exited = bool(p.poll(25000))
        h.stdin.write('read\n')
        h.stdin.flush()
        after = h.stdout.readline().strip()
        h.wait(10)
        print(json.dumps({'exited': exited, 'read_after': after}))
        """;

    [Test]
    public void SIGTERM_with_an_idle_open_socket_file_stops_by_the_deadline_and_the_file_gets_ENOTCONN()
    {
        using var tmp = new TempDir("stop");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        try
        {
            var j = SocketKit.Json(SocketKit.Python(tmp, IdlePy, m.Dir, m.DaemonPid.ToString(CultureInfo.InvariantCulture)));
            Assert.Multiple(() =>
            {
                Assert.That(j.GetProperty("exited").GetBoolean(), Is.True, "the daemon stopped though nobody's file was open");
                Assert.That(j.GetProperty("read_after").GetString(), Is.EqualTo("ENOTCONN"), "the open file of a stopped mount");
                Assert.That(Mounts.IsMounted(m.Dir), Is.False, "SIGTERM unmounted it");
            });
        }
        finally
        {
            LifetimeKit.KillDaemon(m.DaemonPid);
        }
    }

    [Test]
    public void A_second_SIGTERM_stops_at_once()
    {
        using var tmp = new TempDir("stop");
        using var m = new NetnsfsMount("create,stop_timeout=3600");
        try
        {
            const string py = """
                import json, os, select, signal, sys
                M, daemon = sys.argv[1], int(sys.argv[2])
                fd = os.open(os.path.join(M, 'inet;stream;tcp'), os.O_RDWR)
                pidfd = os.pidfd_open(daemon)
                p = select.poll()
                p.register(pidfd, select.POLLIN)
                os.kill(daemon, signal.SIGTERM)
                first = bool(p.poll(1000))
                os.kill(daemon, signal.SIGTERM)
                print(json.dumps({'after_first': first, 'after_second': bool(p.poll(25000))}))
                """;
            var j = SocketKit.Json(SocketKit.Python(tmp, py, m.Dir, m.DaemonPid.ToString(CultureInfo.InvariantCulture)));
            Assert.Multiple(() =>
            {
                Assert.That(j.GetProperty("after_first").GetBoolean(), Is.False, "an open file keeps the daemon after one SIGTERM (stop_timeout=3600)");
                Assert.That(j.GetProperty("after_second").GetBoolean(), Is.True, "the second stops it");
            });
        }
        finally
        {
            LifetimeKit.KillDaemon(m.DaemonPid);
        }
    }
}
