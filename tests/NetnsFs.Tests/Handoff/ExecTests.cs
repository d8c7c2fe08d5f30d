using System.Globalization;
using NetnsFs.Tests.Lifetime;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Handoff;

/// <summary>netnsfs exec: a program started with sockets of the mount as systemd socket activation
/// passes them (fds from 3, LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES).</summary>
public sealed class ExecTests
{
    private const string ActivatedServerPy = """
        import os, socket, sys
        pid = os.getpid()
        assert os.environ.get('LISTEN_PID') == str(pid), ('LISTEN_PID', os.environ.get('LISTEN_PID'), pid)
        assert os.environ.get('LISTEN_FDS') == '2', ('LISTEN_FDS', os.environ.get('LISTEN_FDS'))
        names = os.environ.get('LISTEN_FDNAMES', '')
        listener = socket.socket(fileno=3)
        assert listener.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1, 'fd 3 listens'
        upstream = socket.socket(fileno=4)
        upstream.settimeout(10)
        tag = upstream.recv(100).decode().strip()
        print('ready pid=%d names=%s port=%d tag=%s netns=%s' % (pid, names, listener.getsockname()[1], tag,
              os.readlink('/proc/self/ns/net')), flush=True)
        count = int(sys.argv[1])
        for i in range(count):
            c, _ = listener.accept()
            c.settimeout(10)
            data = c.recv(100)
            c.sendall(b'served %d by %d: %s' % (i, pid, data))
            c.close()
        print('done', flush=True)
        """;

    private const string ClientsPy = """
        import json, socket
        out = []
        for i in range(3):
            s = socket.create_connection(('::1' if i % 2 else '127.0.0.1', 7400), timeout=30)
            s.sendall(b'client %d' % i)
            out.append(s.recv(200).decode())
            s.close()
        print(json.dumps(out))
        """;

    [Test]
    public void Exec_passes_sockets_as_systemd_socket_activation_and_the_server_serves_clients_inside_the_namespace()
    {
        using var tmp = new TempDir("hand");
        using var m = new NetnsfsMount("create");
        string tag = "upstream-" + m.Status["netns_inode"];
        using var servers = SocketKit.StartServers(m["ns"], tmp, $"id,127.0.0.1,7401,{tag}");
        string script = SocketKit.WriteFile(tmp, "server.py", ActivatedServerPy);

        using var server = new Background(Netnsfs.Binary,
            ["exec", m.Dir, "--socket", "web=tcp/listen/7400", "--socket", "tcp/127.0.0.1/7401", "--", Run.Python3, "-u", script, "3"]);
        string ready = server.WaitReady();
        Assert.That(ready, Does.Contain($"pid={server.Pid} "), "exec replaced itself: LISTEN_PID is the pid it was started as");
        Assert.That(ready, Does.Contain("names=web:tcp_127.0.0.1_7401 "));
        Assert.That(ready, Does.Contain("port=7400 "));
        Assert.That(ready, Does.Contain($"tag={tag} "), "fd 4 is connected inside the namespace");
        Assert.That(ready, Does.EndWith($"netns=net:[{LifetimeKit.OwnNetnsInode}]"), "the command itself stays in the caller's namespace");
        Assert.That(SocketKit.Ls(m["tcp/listen"]), Does.Not.Contain("7400"), "the program's listener is its own");

        var replies = SocketKit.Json(SocketKit.PythonIn(m["ns"], tmp, ClientsPy)).EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.That(replies, Is.EqualTo(Enumerable.Range(0, 3).Select(i => string.Create(CultureInfo.InvariantCulture, $"served {i} by {server.Pid}: client {i}")).ToList()));
        Assert.That(server.WaitExit(TimeSpan.FromSeconds(30)), Is.True, server.ToString());
        Assert.That(server.ExitCode, Is.Zero, server.ToString());
    }

    [Test]
    public void Exec_fails_without_running_the_command_when_a_socket_cannot_be_made()
    {
        using var tmp = new TempDir("hand");
        using var m = new NetnsfsMount("create");
        string marker = Path.Combine(tmp.Path, "ran");
        var r = Run.Process(Netnsfs.Binary, ["exec", m.Dir, "--socket", "tcp/127.0.0.1/7499", "--", "touch", marker], TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.Not.Zero, r.ToString());
        Assert.That(r.Stderr, Does.Contain("7499"), r.ToString());
        Assert.That(File.Exists(marker), Is.False, "the command never ran");
    }

    private const string Fd3Py = """
        import os, socket
        try:
            s = socket.socket(fileno=3)
            fd3 = 'listening' if s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) else 'not listening'
        except OSError as e:
            fd3 = 'missing (%s)' % e.strerror
        print('LISTEN_FDS=%s fd3=%s' % (os.environ.get('LISTEN_FDS'), fd3))
        """;

    /// <summary>Issue 17 item 14: with a low fd limit the fixed staging fd 1000 was out of range; the
    /// unchecked dup2s left no fd 3 while LISTEN_FDS said 1. Every move is checked now and made within the limit.</summary>
    [Test]
    public void Exec_under_a_low_fd_limit_still_passes_its_socket_as_fd_3()
    {
        using var tmp = new TempDir("hand");
        using var m = new NetnsfsMount("create");
        string script = SocketKit.WriteFile(tmp, "fd3.py", Fd3Py);
        var r = Run.Bash($"ulimit -n 64 && exec '{Netnsfs.Binary}' exec '{m.Dir}' --socket tcp/listen/7410 -- {Run.Python3} -u '{script}'");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Trim(), Is.EqualTo("LISTEN_FDS=1 fd3=listening"), r.ToString());
    }
}
