using System.Diagnostics;
using NetnsFs.Tests.Security;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Sockets;

/// <summary>Issue 19, item 2: a triple file made useful through files alone, as Plan 9's /net is.
/// conn/N/ctl (conn/self/ctl) of a socket opened from a triple takes connect, bind, announce and
/// listen: from bash without any helper, against servers and clients inside the mount's fresh
/// namespace (loopback only). Each test's mount, servers and clients go with it, failed or not.</summary>
public sealed class ControlVerbTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>Python: open a triple, write each command to conn/self/ctl (the newest socket of this
    /// process is that triple), print "COMMAND ok" or "COMMAND ERRNO-NAME". "open TRIPLE" opens
    /// another one, which the next commands are for; "close" closes them all.</summary>
    private const string CommandsPy = """
        import errno, os, sys
        M = sys.argv[1]
        fds = []
        for cmd in sys.argv[2:]:
            try:
                if cmd.startswith('open '):
                    fds.append(os.open(M + '/' + cmd[5:], os.O_RDWR))
                elif cmd == 'close':
                    for fd in fds:
                        os.close(fd)
                    fds = []
                else:
                    c = os.open(M + '/conn/self/ctl', os.O_WRONLY)
                    try:
                        os.write(c, (cmd + '\n').encode())
                    finally:
                        os.close(c)
                print(cmd, 'ok', flush=True)
            except OSError as e:
                print(cmd, errno.errorcode.get(e.errno, str(e.errno)), flush=True)
        """;

    private static string[] Lines(RunResult r) => r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Test]
    public void Bash_connects_a_triple_by_ctl_and_talks_through_it()
    {
        using var tmp = new TempDir("ctl");
        using var m = new NetnsfsMount("create");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "echo,127.0.0.1,7101");
        const string script = """
            M=$1; PORT=7101
            exec 3<>"$M/inet;stream;tcp"
            echo "before: $(cat "$M/conn/self/state")"
            echo "connect 127.0.0.1!$PORT" > "$M/conn/self/ctl" || exit 1
            echo "state: $(cat "$M/conn/self/state")"
            echo "remote: $(cat "$M/conn/self/remote")"
            echo hi >&3
            read -r line <&3
            echo "got: $line"
            exec 3>&-
            """;
        var r = Run.Process("/bin/bash", ["-c", script, "bash", m.Dir], Wait);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(Lines(r), Is.EqualTo(new[] { "before: CLOSE", "state: ESTABLISHED", "remote: 127.0.0.1:7101", "got: hi" }), r.ToString());
        Assert.That(Await.Eventually(() => m.Status["sockets"] == "0", TimeSpan.FromSeconds(5)), Is.True, "closing fd 3 closed the socket");
    }

    [Test]
    public void A_refused_connect_is_the_ctl_writes_error_and_the_socket_can_connect_after()
    {
        using var tmp = new TempDir("ctl");
        using var m = new NetnsfsMount("create");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "echo,127.0.0.1,7102");
        const string script = """
            M=$1
            exec 3<>"$M/inet;stream;tcp"
            if echo "connect 127.0.0.1!1" > "$M/conn/self/ctl"; then echo "connected to port 1"; fi
            echo "connect 127.0.0.1!7102" > "$M/conn/self/ctl" && echo "then connected"
            echo again >&3; read -r line <&3; echo "got: $line"
            """;
        var r = Run.Process("/bin/bash", ["-c", script, "bash", m.Dir], Wait);
        Assert.That(r.Stderr, Does.Contain("write error: Connection refused"), "bash reports the connect's errno as the write's\n" + r);
        Assert.That(Lines(r), Is.EqualTo(new[] { "then connected", "got: again" }), "a refused TCP socket may connect again, as with connect(2)\n" + r);
    }

    [Test]
    public void Announce_makes_a_one_shot_listener_that_a_client_in_the_namespace_dials()
    {
        using var tmp = new TempDir("ctl");
        using var m = new NetnsfsMount("create");
        const string server = """
            M=$1
            exec 3<>"$M/inet;stream;tcp"
            echo "announce 127.0.0.1!7103" > "$M/conn/self/ctl" || exit 1
            echo "listening: $(cat "$M/conn/self/state") $(cat "$M/conn/self/local")"
            read -r line <&3
            echo "server got: $line"
            echo "state: $(cat "$M/conn/self/state")"
            echo pong >&3
            read -r rest <&3
            echo "server end: ${rest:-EOF}"
            """;
        using var bash = new Background("/bin/bash", ["-c", server, "server", m.Dir]);
        bash.WaitLine(l => l.StartsWith("listening: ", StringComparison.Ordinal), Wait);
        Assert.That(bash.Lines, Does.Contain("listening: LISTEN 127.0.0.1:7103"), bash.ToString());

        const string client = """
            import socket, sys
            s = socket.create_connection(('127.0.0.1', 7103), timeout=20)
            s.sendall(b'ping\n')
            got = b''
            while not got.endswith(b'\n'):
                d = s.recv(100)
                if not d:
                    break
                got += d
            print('client got:', got.decode().strip())
            try:
                socket.create_connection(('127.0.0.1', 7103), timeout=5).close()
                print('second client: connected')
            except OSError as e:
                print('second client:', e.strerror)
            s.close()
            """;
        var c = SocketKit.PythonIn(m["ns"], tmp, client);
        Assert.That(Lines(c), Is.EqualTo(new[] { "client got: pong", "second client: Connection refused" }),
            "data both ways; the listener closed after its one accept\n" + c + "\n" + bash);
        Assert.That(bash.WaitExit(Wait), Is.True, bash.ToString());
        Assert.That(bash.Lines, Is.EqualTo(new[] { "listening: LISTEN 127.0.0.1:7103", "server got: ping", "state: ESTABLISHED", "server end: EOF" }), bash.ToString());
    }

    /// <summary>A listening file's first write waits for the client too, and goes to it.</summary>
    [Test]
    public void A_listening_files_first_write_waits_for_a_client_and_greets_it()
    {
        using var tmp = new TempDir("ctl");
        using var m = new NetnsfsMount("create");
        const string server = """
            M=$1
            exec 3<>"$M/inet6;stream;tcp"
            echo "announce 7115" > "$M/conn/self/ctl" || exit 1
            echo "listening: $(cat "$M/conn/self/local")"
            echo hello >&3 && echo greeted
            """;
        using var bash = new Background("/bin/bash", ["-c", server, "server", m.Dir]);
        bash.WaitLine(l => l.StartsWith("listening: ", StringComparison.Ordinal), Wait);
        Assert.That(bash.Lines, Does.Contain("listening: [::]:7115"), "announce PORT on inet6 is every address\n" + bash);
        Assert.That(bash.Lines, Does.Not.Contain("greeted"), "the write waits for a client\n" + bash);
        const string client = """
            import socket
            s = socket.create_connection(('127.0.0.1', 7115), timeout=20)
            print('client got:', s.recv(100).decode().strip())
            """;
        var c = SocketKit.PythonIn(m["ns"], tmp, client);
        Assert.That(Lines(c), Is.EqualTo(new[] { "client got: hello" }), c + "\n" + bash);
        Assert.That(bash.WaitExit(Wait), Is.True, bash.ToString());
        Assert.That(bash.Lines, Does.Contain("greeted"), bash.ToString());
    }

    private const string ListenerPollPy = """
        import errno, json, os, select, socket, sys, time
        M, port = sys.argv[1], int(sys.argv[2])
        fd = os.open(M + '/inet;stream;tcp', os.O_RDWR | os.O_NONBLOCK)
        with open(M + '/conn/self/ctl', 'w') as c:
            c.write('announce *!%d\n' % port)
        n, = os.listdir(M + '/conn')  # the listening file's: the client's is made below
        out = {}
        p = select.poll()
        p.register(fd, select.POLLIN | select.POLLOUT)
        out['poll_before'] = p.poll(200)
        try:
            os.read(fd, 100)
            out['read_before'] = 'data'
        except OSError as e:
            out['read_before'] = errno.errorcode[e.errno]
        client = os.open(M + '/tcp/127.0.0.1/%d' % port, os.O_RDWR)
        os.write(client, b'first')
        t = time.monotonic()
        out['poll_after'] = [ev & (select.POLLIN | select.POLLOUT) for _, ev in p.poll(10000)]
        out['poll_ms'] = (time.monotonic() - t) * 1000
        with open(M + '/conn/%s/state' % n) as s:
            out['state_polled'] = s.read().strip()
        deadline = time.monotonic() + 10
        while True:
            try:
                out['read_after'] = os.read(fd, 100).decode()
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise
                select.select([fd], [], [], 1)
        os.write(fd, b'back')
        out['client_read'] = os.read(client, 100).decode()
        print(json.dumps(out))
        """;

    /// <summary>O_NONBLOCK and poll on a listening file: nothing and EAGAIN while no client waits,
    /// readable (and writable) once one does, before any accept; the read then accepts it.</summary>
    [Test]
    public void A_listening_file_polls_readable_when_a_client_waits_and_its_read_accepts()
    {
        using var tmp = new TempDir("ctl");
        using var m = new NetnsfsMount("create");
        var r = SocketKit.Json(SocketKit.Python(tmp, ListenerPollPy, m.Dir, "7104"));
        Assert.Multiple(() =>
        {
            Assert.That(r.GetProperty("poll_before").GetArrayLength(), Is.Zero, r.ToString());
            Assert.That(r.GetProperty("read_before").GetString(), Is.EqualTo("EAGAIN"), r.ToString());
            Assert.That(r.GetProperty("poll_after")[0].GetInt32(), Is.EqualTo(1 | 4), "POLLIN|POLLOUT once a client waits: " + r);
            Assert.That(r.GetProperty("poll_ms").GetDouble(), Is.LessThan(5000), r.ToString());
            Assert.That(r.GetProperty("state_polled").GetString(), Is.EqualTo("LISTEN"), "a poll does not accept: " + r);
            Assert.That(r.GetProperty("read_after").GetString(), Is.EqualTo("first"), r.ToString());
            Assert.That(r.GetProperty("client_read").GetString(), Is.EqualTo("back"), r.ToString());
        });
    }

    /// <summary>What the kernel and the parser refuse comes back as the write's errno, never a hang,
    /// and leaves no fd behind.</summary>
    [Test]
    public void Wrong_verbs_bad_addresses_and_wrong_states_are_errnos()
    {
        using var tmp = new TempDir("ctl");
        using var m = new NetnsfsMount("create");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "echo,127.0.0.1,7105");
        Run.Checked(SocketKit.Python(tmp, CommandsPy, m.Dir, "open inet;stream;tcp", "close")); // the daemon's fds of its first socket (its namespace, once)
        int fdsBefore = m.DaemonFdCount;
        var r = SocketKit.Python(tmp, CommandsPy, m.Dir,
            "open inet;stream;tcp", "frobnicate", "connect 127.0.0.1!99999", "connect 127.0.0.1", "connect [::1]!7105",
            "connect 127.0.0.1!7105", "connect 127.0.0.1!7105", "listen", "bind 127.0.0.1!0", "shutdown sideways", "shutdown",
            "open inet;stream;tcp", "bind 127.0.0.1!0", "bind 127.0.0.1!0", "listen", "connect 127.0.0.1!7105",
            "open inet;dgram;udp", "listen", "announce *!0", "bind 127.0.0.1!0",
            "open unix;stream;0", "connect 127.0.0.1!7105", "connect relative", "bind /tmp/x.sock",
            "close");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(Lines(r), Is.EqualTo(new[]
        {
            "open inet;stream;tcp ok",
            "frobnicate EINVAL",
            "connect 127.0.0.1!99999 EINVAL",
            "connect 127.0.0.1 EINVAL",
            "connect [::1]!7105 EAFNOSUPPORT",
            "connect 127.0.0.1!7105 ok",
            "connect 127.0.0.1!7105 EISCONN",
            "listen EINVAL",
            "bind 127.0.0.1!0 EINVAL",
            "shutdown sideways EINVAL",
            "shutdown ok",
            "open inet;stream;tcp ok",
            "bind 127.0.0.1!0 ok",
            "bind 127.0.0.1!0 EINVAL",
            "listen ok",
            "connect 127.0.0.1!7105 EISCONN",
            "open inet;dgram;udp ok",
            "listen ENOTSUP", // EOPNOTSUPP (95), by Python's name for it
            "announce *!0 ENOTSUP",
            "bind 127.0.0.1!0 ok",
            "open unix;stream;0 ok",
            "connect 127.0.0.1!7105 EINVAL",
            "connect relative EINVAL",
            "bind /tmp/x.sock EINVAL",
            "close ok",
        }), r.ToString());
        Assert.That(m.DaemonAlive, Is.True);
        Assert.That(Await.Eventually(() => m.Status["sockets"] == "0" && m.DaemonFdCount <= fdsBefore, TimeSpan.FromSeconds(5)), Is.True,
            $"no socket or fd left: {m.DaemonFdCount} fds, {fdsBefore} before; status sockets={m.Status["sockets"]}");
    }

    private const string UdpPy = """
        import json, os, sys
        M, port = sys.argv[1], int(sys.argv[2])
        fd = os.open(M + '/inet;dgram;udp', os.O_RDWR)
        out = {}
        with open(M + '/conn/self/ctl', 'w') as c:
            c.write('connect 127.0.0.1!%d\n' % port)
        with open(M + '/conn/self/remote') as f:
            out['remote'] = f.read().strip()
        out['replies'] = []
        for d in (b'one', b'datagram two', b'3'):
            os.write(fd, d)
            out['replies'].append(os.read(fd, 100).decode())
        print(json.dumps(out))
        """;

    [Test]
    public void A_udp_triple_connected_by_ctl_exchanges_datagrams_with_its_peer()
    {
        using var tmp = new TempDir("ctl");
        using var m = new NetnsfsMount("create");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "udpecho,127.0.0.1,7106");
        var r = SocketKit.Json(SocketKit.Python(tmp, UdpPy, m.Dir, "7106"));
        Assert.That(r.GetProperty("remote").GetString(), Is.EqualTo("127.0.0.1:7106"), r.ToString());
        Assert.That(r.GetProperty("replies").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "one", "datagram two", "3" }),
            "one write one datagram, one read one datagram: " + r);
    }

    [Test]
    public void Unix_and_inet6_triples_connect_and_announce_by_ctl()
    {
        using var tmp = new TempDir("ctl");
        using var m = new NetnsfsMount("create");
        string name = SocketKit.UniqueName("ctl-");
        using var servers = SocketKit.StartServers(m["ns"], tmp, $"uecho,{name}", "echo,::1,7107", "echo,127.0.0.1,7108");
        string script = $$"""
            M=$1
            talk() { echo "$1" >&3; read -r line <&3; echo "$2: $line"; exec 3>&-; }
            exec 3<>"$M/unix;stream;0"; echo "connect @{{name}}" > "$M/conn/self/ctl" && talk unix "unix abstract"
            exec 3<>"$M/inet6;stream;tcp"; echo "connect [::1]!7107" > "$M/conn/self/ctl" && talk six "inet6 [::1]"
            exec 3<>"$M/inet6;stream;tcp"; echo "connect 127.0.0.1!7108" > "$M/conn/self/ctl" && talk mapped "inet6 to IPv4"
            exec 3<>"$M/unix;stream;0"; echo "announce @{{name}}-l" > "$M/conn/self/ctl" || exit 1
            ( exec 4<>"$M/unix/@{{name}}-l"; echo "from client" >&4; read -r r <&4; echo "client: $r" ) &
            read -r line <&3; echo "unix server: $line"; echo "to client" >&3
            wait
            """;
        var r = Run.Process("/bin/bash", ["-c", script, "bash", m.Dir], Wait);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(Lines(r), Is.EqualTo(new[]
        {
            "unix abstract: unix", "inet6 [::1]: six", "inet6 to IPv4: mapped", "unix server: from client", "client: to client",
        }), r.ToString());
    }

    /// <summary>connect to a name looks it up inside the namespace, as tcp/HOST/PORT does: hosts=
    /// first, then the namespace's own nameserver; a name that does not exist is ENOENT.</summary>
    [Test]
    public void Connect_to_a_name_resolves_it_inside_the_namespace()
    {
        using var tmp = new TempDir("ctl");
        string hosts = SocketKit.WriteFile(tmp, "hosts", "127.0.0.1 fromhosts.netnsfs.test\n");
        string resolv = SocketKit.WriteFile(tmp, "resolv.conf", "nameserver 127.0.0.53\noptions timeout:2 attempts:2\n");
        using var m = new NetnsfsMount($"create,hosts={hosts},resolv={resolv}");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "dns,svc.netnsfs.test,127.0.0.1", "echo,127.0.0.1,7114");
        const string script = """
            M=$1
            for host in svc.netnsfs.test fromhosts.netnsfs.test nosuch.netnsfs.test; do
              exec 3<>"$M/inet;stream;tcp"
              if echo "connect $host!7114" > "$M/conn/self/ctl"; then
                echo "$host" >&3; read -r line <&3; echo "reply: $line"
              fi
              exec 3>&-
            done
            """;
        var r = Run.Process("/bin/bash", ["-c", script, "bash", m.Dir], Wait);
        Assert.That(Lines(r), Is.EqualTo(new[] { "reply: svc.netnsfs.test", "reply: fromhosts.netnsfs.test" }), r.ToString());
        Assert.That(r.Stderr, Does.Contain("write error: No such file or directory"), "NXDOMAIN is ENOENT\n" + r);
        Assert.That(servers.Lines, Does.Contain("query svc.netnsfs.test 1").And.Contain("query nosuch.netnsfs.test 1"), string.Join('\n', servers.Lines));
    }

    private const string InterruptedLookupPy = """
        import json, os, signal, sys, time
        M = sys.argv[1]
        class Alarm(Exception):
            pass
        def ring(*_):
            raise Alarm()
        signal.signal(signal.SIGALRM, ring)
        fd = os.open(M + '/inet;stream;tcp', os.O_RDWR)
        ctl = os.open(M + '/conn/self/ctl', os.O_WRONLY)
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        t = time.monotonic()
        try:
            os.write(ctl, b'connect silent.netnsfs.test!80\n')
            out = 'connected'
        except Alarm:
            out = 'interrupted'
        except OSError as e:
            out = e.strerror
        ms = (time.monotonic() - t) * 1000
        with open(M + '/conn/self/state') as s:
            state = s.read().strip()
        os.close(ctl)
        os.close(fd)
        print(json.dumps({'result': out, 'ms': ms, 'state': state}))
        """;

    /// <summary>A lookup that gets no answer (a nameserver that never answers) is interrupted like
    /// a connect, and leaves nothing waiting: no deferred request, no socket.</summary>
    [Test]
    public void An_interrupted_lookup_for_connect_leaves_nothing_waiting()
    {
        using var tmp = new TempDir("ctl");
        string resolv = SocketKit.WriteFile(tmp, "resolv.conf", "nameserver 127.0.0.53\noptions timeout:5 attempts:2\n");
        string hosts = SocketKit.WriteFile(tmp, "hosts", "");
        using var m = new NetnsfsMount($"create,hosts={hosts},resolv={resolv}");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "dnssilent");
        var r = SocketKit.Json(SocketKit.Python(tmp, InterruptedLookupPy, m.Dir));
        Assert.That(r.GetProperty("result").GetString(), Is.EqualTo("interrupted"), r.ToString());
        Assert.That(r.GetProperty("ms").GetDouble(), Is.LessThan(4000), r.ToString());
        Assert.That(r.GetProperty("state").GetString(), Is.EqualTo("CLOSE"), "the lookup was cancelled before any connect: " + r);
        Assert.That(Await.Eventually(() => m.Status["sockets"] == "0" && m.Status["deferred_requests"] == "0", TimeSpan.FromSeconds(5)), Is.True,
            string.Join(' ', m.Status.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.That(servers.Lines, Does.Contain("query silent.netnsfs.test 1"), string.Join('\n', servers.Lines));
    }

    private const string UnixPathServerPy = """
        import os, socket, sys, threading
        d = sys.argv[1]
        def serve(name, mode):
            l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            l.bind(os.path.join(d, name))
            os.chmod(os.path.join(d, name), mode)
            l.listen(16)
            def loop():
                while True:
                    c, _ = l.accept()
                    c.sendall((name + '\n').encode())
                    c.close()
            threading.Thread(target=loop, daemon=True).start()
        serve('open.sock', 0o666)
        serve('closed.sock', 0o600)
        with open(os.path.join(d, 'plain'), 'w') as f:
            f.write('no socket')
        os.symlink(os.path.join(d, 'open.sock'), os.path.join(d, 'link.sock'))
        print('ready', flush=True)
        threading.Event().wait()
        """;

    private const string ConnectPathPy = """
        import errno, os, sys
        M = sys.argv[1]
        for path in sys.argv[2:]:
            fd = os.open(M + '/unix;stream;0', os.O_RDWR)
            try:
                with open(M + '/conn/self/ctl', 'w') as c:
                    c.write('connect %s\n' % path)
                print(os.path.basename(path), os.read(fd, 100).decode().strip())
            except OSError as e:
                print(os.path.basename(path), errno.errorcode.get(e.errno, str(e.errno)))
            os.close(fd)
        """;

    /// <summary>connect PATH on a unix triple reaches a socket by path as the writer would: with
    /// its rights (nobody is refused a socket only root may write) and in its root, symlinks
    /// followed; a file that is no socket is ECONNREFUSED, a missing one ENOENT.</summary>
    [Test]
    public void Connect_by_path_reaches_a_unix_socket_with_the_writers_rights()
    {
        using var tmp = new TempDir("ctl");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        string dir = tmp.Sub("socks");
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        using var server = new Background(Run.Python3, ["-u", "-c", UnixPathServerPy, dir]);
        server.WaitReady();
        string[] paths = [.. new[] { "open.sock", "closed.sock", "link.sock", "plain", "missing.sock" }.Select(p => Path.Combine(dir, p))];

        var root = Run.Python(ConnectPathPy, [m.Dir, .. paths]);
        Assert.That(Lines(root), Is.EqualTo(new[] { "open.sock open.sock", "closed.sock closed.sock", "link.sock open.sock", "plain ECONNREFUSED", "missing.sock ENOENT" }), root.ToString());
        var nobody = AsUser.Python3(AsUser.Nobody, ConnectPathPy, [m.Dir, .. paths]);
        Assert.That(Lines(nobody), Is.EqualTo(new[] { "open.sock open.sock", "closed.sock EACCES", "link.sock open.sock", "plain ECONNREFUSED", "missing.sock ENOENT" }),
            "nobody reaches what it may write and nothing else\n" + nobody);

        // In a mount namespace of its own where a tmpfs hides the directory, the writer finds nothing
        // there, whatever the daemon sees.
        var hidden = Run.Process("unshare", ["--mount", "--propagation", "private", "--", "/bin/sh", "-c",
            "mount -t tmpfs none \"$1\" && exec \"$2\" -c \"$3\" \"$4\" \"$1/open.sock\"", "sh", dir, Run.Python3, ConnectPathPy, m.Dir], Wait);
        Assert.That(Lines(hidden), Is.EqualTo(new[] { "open.sock ENOENT" }), "resolved in the writer's mount namespace\n" + hidden);
    }

    private const string TryBindPy = """
        import os, sys
        M = sys.argv[1]
        for cmd in sys.argv[2:]:
            fd = os.open(M + '/inet;stream;tcp', os.O_RDWR)
            try:
                c = os.open(M + '/conn/self/ctl', os.O_WRONLY)
                os.write(c, (cmd + '\n').encode())
                os.close(c)
                with open(M + '/conn/self/local') as f:
                    print(cmd, 'ok', f.read().strip())
            except OSError as e:
                print(cmd, e.errno)
            os.close(fd)
        """;

    /// <summary>bind is made with the writer's credentials: a low port is EACCES for nobody, as its
    /// own bind(2) would be, while root gets it (and nobody a high one).</summary>
    [Test]
    public void Bind_to_a_low_port_is_EACCES_for_nobody_and_works_for_root()
    {
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        var nobody = AsUser.Python3(AsUser.Nobody, TryBindPy, m.Dir, "bind 127.0.0.1!80", "announce *!81", "bind 127.0.0.1!8080");
        Assert.That(Lines(nobody), Is.EqualTo(new[] { "bind 127.0.0.1!80 13", "announce *!81 13", "bind 127.0.0.1!8080 ok 127.0.0.1:8080" }), nobody.ToString());
        var root = Run.Python(TryBindPy, m.Dir, "bind 127.0.0.1!80", "announce *!81");
        Assert.That(Lines(root), Is.EqualTo(new[] { "bind 127.0.0.1!80 ok 127.0.0.1:80", "announce *!81 ok 0.0.0.0:81" }), root.ToString());
    }

    private const string HoldTriple = """
        import os, sys, time
        M = sys.argv[1]
        fd = os.open(M + '/inet;stream;tcp', os.O_RDWR)
        with open(M + '/conn/self/owner') as h:
            assert ('uid=%d' % os.getuid()) in h.read()
        for c in os.listdir(M + '/conn'):
            with open('%s/conn/%s/owner' % (M, c)) as h:
                if ('uid=%d' % os.getuid()) in h.read():
                    print('conn', c, flush=True)
        time.sleep(120)
        """;

    private const string TryVerb = """
        import os, sys
        try:
            fd = os.open(sys.argv[1], os.O_WRONLY)
            os.write(fd, (sys.argv[2] + '\n').encode())
            os.close(fd)
            print('ok')
        except OSError as e:
            print(e.errno)
        """;

    /// <summary>The new verbs follow the sharing model: another uid cannot open the owner's ctl for
    /// writing (EPERM), so it can neither connect nor announce the owner's socket; root may.</summary>
    [Test]
    public void Another_uid_cannot_connect_or_announce_the_owners_triple()
    {
        using var tmp = new TempDir("ctl");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "echo,127.0.0.1,7109");
        using var holder = AsUser.Start(AsUser.Other, HoldTriple, m.Dir);
        string n = holder.WaitLine(l => l.StartsWith("conn ", StringComparison.Ordinal), Wait)[5..];

        var connect = AsUser.Python3(AsUser.Nobody, TryVerb, m[$"conn/{n}/ctl"], "connect 127.0.0.1!7109");
        var announce = AsUser.Python3(AsUser.Nobody, TryVerb, m[$"conn/{n}/ctl"], "announce *!7110");
        Assert.That((connect.Stdout.Trim(), announce.Stdout.Trim()), Is.EqualTo(("1", "1")), $"nobody may not use 1234's socket\n{connect}\n{announce}");
        Assert.That(File.ReadAllText(m[$"conn/{n}/state"]).Trim(), Is.EqualTo("CLOSE"), "untouched");

        var root = Run.Python(TryVerb, m[$"conn/{n}/ctl"], "connect 127.0.0.1!7109");
        Assert.That(root.Stdout.Trim(), Is.EqualTo("ok"), root.ToString());
        Assert.That(File.ReadAllText(m[$"conn/{n}/state"]).Trim(), Is.EqualTo("ESTABLISHED"));
    }

    private const string InterruptPy = """
        import errno, json, os, signal, sys, threading, time
        M, port, live = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        out = {}
        fd = os.open(M + '/inet;stream;tcp', os.O_RDWR)
        ctl = os.open(M + '/conn/self/ctl', os.O_WRONLY)
        nb = os.open(M + '/conn/self/ctl', os.O_WRONLY | os.O_NONBLOCK)
        class Alarm(Exception):
            pass
        def ring(*_):
            raise Alarm()
        # Meanwhile the mount serves others: the waiting write holds no reader.
        def other():
            s = os.open(M + '/tcp/127.0.0.1/%d' % live, os.O_RDWR)
            os.write(s, b'x\n')
            out['other'] = os.read(s, 10).decode().strip()
            os.close(s)
        signal.signal(signal.SIGALRM, ring)
        th = threading.Thread(target=other)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # inherited: the alarm is the main thread's
        th.start()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        t = time.monotonic()
        try:
            os.write(ctl, b'connect 127.0.0.1!%d\n' % port)
            out['blocking'] = 'connected'
        except Alarm:
            out['blocking'] = 'interrupted'
        out['blocking_ms'] = (time.monotonic() - t) * 1000
        th.join(20)
        with open(M + '/conn/self/state') as s:
            out['state'] = s.read().strip()
        try:
            os.write(nb, b'connect 127.0.0.1!%d\n' % port)
            out['nonblocking'] = 'ok'
        except OSError as e:
            out['nonblocking'] = errno.errorcode[e.errno]
        fd2 = os.open(M + '/inet;stream;tcp', os.O_RDWR)
        nb2 = os.open(M + '/conn/self/ctl', os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(nb2, b'connect 127.0.0.1!%d\n' % port)
            out['nonblocking_fresh'] = 'ok'
        except OSError as e:
            out['nonblocking_fresh'] = errno.errorcode[e.errno]
        try:
            os.set_blocking(fd2, False)
            os.read(fd2, 10)
            out['read_while_connecting'] = 'data'
        except OSError as e:
            out['read_while_connecting'] = errno.errorcode[e.errno]
        for f in (nb2, fd2, nb, ctl, fd):
            os.close(f)
        print(json.dumps(out))
        """;

    /// <summary>A listener whose accept queue is full (backlog 0, one client never accepted): the
    /// kernel drops further SYNs, so a connect to it waits, on loopback, until it is given up.</summary>
    private const string FullBacklogPy = """
        import socket, sys, time
        l = socket.socket()
        l.bind(('127.0.0.1', int(sys.argv[1])))
        l.listen(0)
        first = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
        time.sleep(0.2)
        print('ready', flush=True)
        time.sleep(3600)
        """;

    /// <summary>A connect that waits (its SYNs dropped by a full listener) holds the ctl write, not a
    /// daemon thread: the mount serves others meanwhile, a signal interrupts it, and O_NONBLOCK
    /// answers EINPROGRESS (EALREADY while one is under way), as connect(2) would.</summary>
    [Test]
    public void A_waiting_connect_is_deferred_interruptible_and_EINPROGRESS_when_non_blocking()
    {
        using var tmp = new TempDir("ctl");
        using var m = new NetnsfsMount("create");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "echo,127.0.0.1,7111");
        using var full = new Background("nsenter", [$"--net={m["ns"]}", "--", Run.Python3, "-u", "-c", FullBacklogPy, "7112"]);
        full.WaitReady();
        var sw = Stopwatch.StartNew();
        var r = SocketKit.Json(SocketKit.Python(tmp, InterruptPy, m.Dir, "7112", "7111"));
        Assert.Multiple(() =>
        {
            Assert.That(r.GetProperty("other").GetString(), Is.EqualTo("x"), r.ToString());
            Assert.That(r.GetProperty("blocking").GetString(), Is.EqualTo("interrupted"), r.ToString());
            Assert.That(r.GetProperty("blocking_ms").GetDouble(), Is.InRange(900, 5000), r.ToString());
            Assert.That(r.GetProperty("state").GetString(), Is.EqualTo("CONNECTING"), "the interrupted connect goes on, as connect(2)'s does: " + r);
            Assert.That(r.GetProperty("nonblocking").GetString(), Is.EqualTo("EALREADY"), r.ToString());
            Assert.That(r.GetProperty("nonblocking_fresh").GetString(), Is.EqualTo("EINPROGRESS"), r.ToString());
            Assert.That(r.GetProperty("read_while_connecting").GetString(), Is.EqualTo("EAGAIN"), r.ToString());
        });
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)));
        Assert.That(Await.Eventually(() => m.Status["sockets"] == "0" && m.Status["deferred_requests"] == "0", TimeSpan.FromSeconds(5)), Is.True,
            "nothing waits after the close: " + string.Join(' ', m.Status.Select(kv => $"{kv.Key}={kv.Value}")));
    }
}
