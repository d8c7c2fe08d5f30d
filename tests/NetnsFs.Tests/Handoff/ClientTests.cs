using System.Net;
using System.Net.Sockets;
using System.Text;
using NetnsFs.Client;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Handoff;

/// <summary>The three handoff clients (C#, Python, C) each get a connected, a listening and an
/// unconnected socket made inside the mount's namespace, and use them as ordinary sockets.</summary>
public sealed class ClientTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static Background StartServices(NetnsfsMount m, TempDir tmp, out string tag)
    {
        tag = "ns-" + m.Status["netns_inode"];
        return SocketKit.StartServers(m["ns"], tmp, "echo,127.0.0.1,7200", $"id,127.0.0.1,7201,{tag}", "udpecho,127.0.0.1,7203");
    }

    private static string ReadLine(Socket s)
    {
        var buf = new byte[256];
        var sb = new StringBuilder();
        while (!sb.ToString().EndsWith('\n'))
        {
            int n = s.Receive(buf);
            if (n == 0)
                break;
            sb.Append(Encoding.UTF8.GetString(buf, 0, n));
        }
        return sb.ToString().TrimEnd('\n');
    }

    private const string InsideClientPy = """
        import socket, sys
        s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=30)
        s.sendall(b'from inside')
        print(s.recv(100).decode())
        """;

    [Test]
    public void The_CSharp_client_gets_connected_listening_and_unconnected_sockets()
    {
        using var tmp = new TempDir("hand");
        using var m = new NetnsfsMount("create");
        using var servers = StartServices(m, tmp, out string tag);

        using (var c = NetnsSocket.Open(m.Dir, "tcp/127.0.0.1/7200"))
        {
            c.ReceiveTimeout = 10000;
            Assert.That(c.Connected, Is.True);
            Assert.That(c.Blocking, Is.True);
            Assert.That(c.RemoteEndPoint, Is.EqualTo(new IPEndPoint(IPAddress.Loopback, 7200)));
            c.NoDelay = true;
            Assert.That(c.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.NoDelay), Is.Not.EqualTo(0), "setsockopt works on the handed-over socket");
            c.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            Assert.That(c.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive), Is.Not.EqualTo(0));
            int sent = c.Send(new List<ArraySegment<byte>> { "hello "u8.ToArray(), "gather"u8.ToArray() }); // sendmsg with two iovecs
            Assert.That(sent, Is.EqualTo(12));
            var buf = new byte[64];
            int got = 0;
            while (got < 12)
            {
                int n = c.Receive(buf, got, buf.Length - got, SocketFlags.None);
                Assert.That(n, Is.Positive, "echo ended early");
                got += n;
            }
            Assert.That(Encoding.ASCII.GetString(buf, 0, got), Is.EqualTo("hello gather"));
        }

        using (var l = NetnsSocket.Open(m.Dir, "tcp/listen/7202"))
        {
            Assert.That(((IPEndPoint)l.LocalEndPoint!).Port, Is.EqualTo(7202));
            Assert.That(l.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection), Is.Not.EqualTo(0), "it is listening");
            Assert.That(SocketKit.Ls(m["tcp/listen"]), Does.Not.Contain("7202"), "a handed-over listener is the caller's own, not the mount's");
            var accept = Task.Run(() =>
            {
                if (!l.Poll(TimeSpan.FromSeconds(30), SelectMode.SelectRead))
                    return "no connection";
                using var a = l.Accept();
                a.ReceiveTimeout = 10000;
                var b = new byte[100];
                int n = a.Receive(b);
                a.Send(Encoding.ASCII.GetBytes("pong:" + Encoding.ASCII.GetString(b, 0, n)));
                return "accepted from " + ((IPEndPoint)a.RemoteEndPoint!).Address;
            });
            var client = SocketKit.PythonIn(m["ns"], tmp, InsideClientPy, "7202");
            Assert.That(client.ExitCode, Is.Zero, client.ToString());
            Assert.That(client.Stdout.Trim(), Is.EqualTo("pong:from inside"), "a client inside the namespace reached the handed-over listener");
            Assert.That(accept.Wait(Wait), Is.True);
            Assert.That(accept.Result, Does.StartWith("accepted from"));
        }

        using (var u = NetnsSocket.Open(m.Dir, "inet;stream;tcp"))
        {
            Assert.That(u.Connected, Is.False);
            u.ReceiveTimeout = 10000;
            u.Connect(new IPEndPoint(IPAddress.Loopback, 7201));
            Assert.That(ReadLine(u), Is.EqualTo(tag), "connect(2) on the unconnected socket reaches the namespace's loopback");
        }

        using (var g = NetnsSocket.Open(m.Dir, "inet;dgram;udp"))
        {
            g.ReceiveTimeout = 10000;
            g.SendTo("datagram"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, 7203));
            var buf = new byte[100];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n = g.ReceiveFrom(buf, ref from);
            Assert.That(Encoding.ASCII.GetString(buf, 0, n), Is.EqualTo("datagram"));
            Assert.That(((IPEndPoint)from).Port, Is.EqualTo(7203));
        }

        var refused = Assert.Throws<NetnsSocketException>(() => NetnsSocket.Open(m.Dir, "tcp/127.0.0.1/7299"));
        Assert.That(refused!.Errno, Is.EqualTo(111), "ECONNREFUSED: nothing listens there");
        var bad = Assert.Throws<NetnsSocketException>(() => NetnsSocket.Open(m.Dir, "tcp/127.0.0.1/65536"));
        Assert.That(bad!.Errno, Is.EqualTo(22), "EINVAL, as opening that path would give");
    }

    private const string PythonClientPy = """
        import errno, json, os, socket, sys
        import netnsfs
        M = sys.argv[1]
        out = {}
        c = netnsfs.socket(M, 'tcp/127.0.0.1/7200')
        c.settimeout(10)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        out['nodelay'] = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        out['peer'] = list(c.getpeername()[:2])
        out['sent'] = c.sendmsg([b'hello ', b'sendmsg'])
        data = b''
        while len(data) < 13:
            data += c.recv(100)
        out['echo'] = data.decode()
        c.close()
        l = netnsfs.socket(M, 'tcp/listen/7204')
        l.settimeout(10)
        out['acceptconn'] = l.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        out['listen_port'] = l.getsockname()[1]
        d = netnsfs.socket(M, 'tcp/::1/7204')
        a, peer = l.accept()
        d.sendall(b'ping')
        out['accepted'] = a.recv(100).decode()
        a.sendall(b'pong')
        out['dialled'] = d.recv(100).decode()
        out['listed'] = os.listdir(M + '/tcp/listen')
        u = netnsfs.socket(M, 'inet;stream;tcp')
        u.settimeout(10)
        u.connect(('127.0.0.1', 7201))
        out['tag'] = u.recv(100).decode().strip()
        g = netnsfs.socket(M, 'inet;dgram;udp')
        g.settimeout(10)
        g.sendto(b'dgram', ('127.0.0.1', 7203))
        out['udp'] = g.recvfrom(100)[0].decode()
        try:
            netnsfs.socket(M, 'tcp/127.0.0.1/7299')
            out['refused'] = 'opened'
        except OSError as e:
            out['refused'] = errno.errorcode.get(e.errno, str(e.errno))
        print(json.dumps(out))
        """;

    [Test]
    public void The_Python_client_gets_connected_listening_and_unconnected_sockets()
    {
        using var tmp = new TempDir("hand");
        using var m = new NetnsfsMount("create");
        using var servers = StartServices(m, tmp, out string tag);
        string script = SocketKit.WriteFile(tmp, "client.py", PythonClientPy);
        var run = Run.Process(Run.Python3, ["-u", script, m.Dir], SocketKit.Long,
            env: ClientModules.PythonPath(tmp));
        var r = SocketKit.Json(run);

        Assert.That(r.GetProperty("nodelay").GetInt32(), Is.EqualTo(1), r.ToString());
        Assert.That(r.GetProperty("peer")[0].GetString(), Is.EqualTo("127.0.0.1"), r.ToString());
        Assert.That(r.GetProperty("peer")[1].GetInt32(), Is.EqualTo(7200), r.ToString());
        Assert.That(r.GetProperty("sent").GetInt32(), Is.EqualTo(13), r.ToString());
        Assert.That(r.GetProperty("echo").GetString(), Is.EqualTo("hello sendmsg"), r.ToString());
        Assert.That(r.GetProperty("acceptconn").GetInt32(), Is.EqualTo(1), r.ToString());
        Assert.That(r.GetProperty("listen_port").GetInt32(), Is.EqualTo(7204), r.ToString());
        Assert.That(r.GetProperty("accepted").GetString(), Is.EqualTo("ping"), r.ToString());
        Assert.That(r.GetProperty("dialled").GetString(), Is.EqualTo("pong"), r.ToString());
        Assert.That(r.GetProperty("listed").EnumerateArray().Select(e => e.GetString()), Does.Not.Contain("7204"), r.ToString());
        Assert.That(r.GetProperty("tag").GetString(), Is.EqualTo(tag), r.ToString());
        Assert.That(r.GetProperty("udp").GetString(), Is.EqualTo("dgram"), r.ToString());
        Assert.That(r.GetProperty("refused").GetString(), Is.EqualTo("ECONNREFUSED"), r.ToString());
    }

    private const string CClient = """
        #include "netnsfs.h"
        #include <arpa/inet.h>
        #include <netinet/in.h>
        #include <netinet/tcp.h>
        #include <stdlib.h>
        #include <sys/time.h>

        #define CHECK(x) do { if (!(x)) { fprintf(stderr, "line %d: %s: %s\n", __LINE__, #x, strerror(errno)); return 1; } } while (0)

        static void timeouts(int fd)
        {
            struct timeval tv = { 10, 0 };
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        }

        int main(int argc, char **argv)
        {
            const char *m = argv[1];
            char buf[256];
            int n = 0;

            int c = netnsfs_socket(m, "tcp/127.0.0.1/7200");
            CHECK(c >= 0);
            timeouts(c);
            int one = 1, v = 0;
            socklen_t vl = sizeof v;
            CHECK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
            CHECK(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0);
            printf("nodelay=%d\n", v);
            struct iovec iov[2] = { { "hello ", 6 }, { "sendmsg", 7 } };
            struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
            CHECK(sendmsg(c, &mh, 0) == 13);
            while (n < 13) {
                int k = recv(c, buf + n, sizeof buf - 1 - n, 0);
                CHECK(k > 0);
                n += k;
            }
            buf[n] = 0;
            printf("echo=%s\n", buf);
            close(c);

            int l = netnsfs_socket(m, "tcp/listen/7205");
            CHECK(l >= 0);
            timeouts(l);
            int acc = 0;
            vl = sizeof acc;
            CHECK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &acc, &vl) == 0);
            printf("acceptconn=%d\n", acc);
            struct sockaddr_in6 sa;
            socklen_t sl = sizeof sa;
            CHECK(getsockname(l, (struct sockaddr *)&sa, &sl) == 0);
            printf("listen_port=%d\n", ntohs(sa.sin6_port));
            int d = netnsfs_socket(m, "tcp/127.0.0.1/7205");
            CHECK(d >= 0);
            int a = accept(l, NULL, NULL);
            CHECK(a >= 0);
            timeouts(a);
            CHECK(send(d, "ping", 4, MSG_NOSIGNAL) == 4);
            n = recv(a, buf, sizeof buf - 1, 0);
            CHECK(n > 0);
            buf[n] = 0;
            printf("accepted=%s\n", buf);

            int u = netnsfs_socket(m, "inet;stream;tcp");
            CHECK(u >= 0);
            timeouts(u);
            struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7201) };
            inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
            CHECK(connect(u, (struct sockaddr *)&to, sizeof to) == 0);
            n = recv(u, buf, sizeof buf - 1, 0);
            CHECK(n > 0);
            buf[n] = 0;
            printf("tag=%s", buf);

            int g = netnsfs_socket(m, "inet;dgram;udp");
            CHECK(g >= 0);
            timeouts(g);
            to.sin_port = htons(7203);
            CHECK(sendto(g, "dgram", 5, 0, (struct sockaddr *)&to, sizeof to) == 5);
            n = recv(g, buf, sizeof buf - 1, 0);
            CHECK(n > 0);
            buf[n] = 0;
            printf("udp=%s\n", buf);

            errno = 0;
            int r = netnsfs_socket(m, "tcp/127.0.0.1/7299");
            printf("refused=%d errno=%d\n", r, r < 0 ? errno : 0);
            return 0;
        }
        """;

    [Test]
    public void The_C_header_client_gets_connected_listening_and_unconnected_sockets()
    {
        using var tmp = new TempDir("hand");
        string source = SocketKit.WriteFile(tmp, "client.c", CClient);
        string exe = Path.Combine(tmp.Path, "client");
        var cc = Run.Process("cc", ["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Werror", "-I", Path.Combine(Netnsfs.RepoRoot, "samples", "c"), "-o", exe, source], SocketKit.Long);
        Assert.That(cc.ExitCode, Is.Zero, $"netnsfs.h compiles cleanly: {cc}");

        using var m = new NetnsfsMount("create");
        using var servers = StartServices(m, tmp, out string tag);
        var run = Run.Process(exe, [m.Dir], SocketKit.Long);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Is.EqualTo(new[]
        {
            "nodelay=1", "echo=hello sendmsg", "acceptconn=1", "listen_port=7205", "accepted=ping", $"tag={tag}", "udp=dgram", "refused=-1 errno=111",
        }), run.ToString());
    }
}
