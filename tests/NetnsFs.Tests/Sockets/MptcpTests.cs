using System.Net;
using System.Net.Sockets;
using System.Text;
using NetnsFs.Client;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Sockets;

/// <summary>mptcp/HOST/PORT and mptcp/listen/PORT (one row of the transport table): the sockets
/// they make really are MPTCP, in the mount's own fresh namespace. The proof is the peer's: a
/// socket of an MPTCP connection answers getsockopt(SOL_MPTCP, MPTCP_INFO), one that fell back
/// to plain TCP (because the other end is plain TCP) refuses it with EOPNOTSUPP; and the kernel
/// lists the connection among its MPTCP sockets (ss -M).</summary>
public sealed class MptcpTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private const int SolSocket = 1;
    private const int SoProtocol = 38;
    private const int SolMptcp = 284;
    private const int MptcpInfo = 1;
    private const int IpprotoMptcp = 262;

    /// <summary>Inside the namespace: an MPTCP echo server on 127.0.0.1:PORT that answers
    /// "mptcp:DATA", or "fallback:DATA" if its client's socket was not MPTCP.</summary>
    private const string ServerPy = """
        import socket, sys
        l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind(('127.0.0.1', int(sys.argv[1])))
        l.listen(16)
        print('ready', flush=True)
        while True:
            c, _ = l.accept()
            with c:
                try:
                    c.getsockopt(284, 1, 256)
                    kind = b'mptcp'
                except OSError:
                    kind = b'fallback'
                c.sendall(kind + b':' + c.recv(100))
                while c.recv(100):  # held open until the client closes: ss sees it established
                    pass
        """;

    /// <summary>Through the mount: dial the server above by mptcp/, then listen on mptcp/listen/
    /// and accept one MPTCP client run inside the namespace, which reports what it negotiated.</summary>
    private const string MountPy = """
        import errno, json, os, subprocess, sys
        M, py, dial, listen = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
        ns = ['nsenter', '--net=' + M + '/ns', '--']
        def ss(*args):
            return subprocess.run(ns + ['ss', '-HnM'] + list(args), capture_output=True, text=True).stdout
        out = {}
        fd = os.open('%s/mptcp/127.0.0.1/%s' % (M, dial), os.O_RDWR)
        os.write(fd, b'hello')
        out['dial_reply'] = os.read(fd, 100).decode()
        with open(M + '/conn/self/path') as f:
            out['dial_path'] = f.read().strip()
        out['ss_established'] = ss('state', 'established')
        os.close(fd)
        try:
            os.close(os.open('%s/mptcp/listen/%s' % (M, listen), os.O_RDWR | os.O_NONBLOCK))
            out['made'] = 'opened'
        except OSError as e:
            out['made'] = errno.errorcode.get(e.errno, str(e.errno))
        out['mptcp_listed'] = sorted(os.listdir(M + '/mptcp/listen'))
        out['tcp_listed'] = sorted(os.listdir(M + '/tcp/listen'))
        out['ss_listening'] = ss('-l')
        client = '''
        import socket, sys
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
        c.settimeout(30)
        c.connect(('127.0.0.1', int(sys.argv[1])))
        try:
            c.getsockopt(284, 1, 256)
            kind = 'mptcp'
        except OSError:
            kind = 'fallback'
        c.sendall(b'ping')
        print(kind + ' ' + c.recv(100).decode())
        '''
        p = subprocess.Popen(ns + [py, '-c', client, listen], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        fd = os.open('%s/mptcp/listen/%s' % (M, listen), os.O_RDWR)
        data = os.read(fd, 100)
        os.write(fd, b'pong:' + data)
        with open(M + '/conn/self/path') as f:
            out['accepted_path'] = f.read().strip()
        os.close(fd)
        o, e = p.communicate(timeout=30)
        out['client'] = o.strip() + e.strip()
        print(json.dumps(out))
        """;

    [Test]
    public void Mptcp_paths_dial_and_listen_with_MPTCP_sockets()
    {
        using var tmp = new TempDir("mptcp");
        using var m = new NetnsfsMount("create");
        string server = SocketKit.WriteFile(tmp, "mptcp-server.py", ServerPy);
        using var servers = new Background("nsenter", [$"--net={m["ns"]}", "--", Run.Python3, "-u", server, "7310"]);
        servers.WaitReady();

        var r = SocketKit.Json(SocketKit.Python(tmp, MountPy, m.Dir, Run.Python3, "7310", "7311"));

        Assert.That(r.GetProperty("dial_reply").GetString(), Is.EqualTo("mptcp:hello"),
            "the server's side of the connection is MPTCP: the daemon's dialled socket spoke MPTCP, it did not fall back");
        Assert.That(r.GetProperty("dial_path").GetString(), Is.EqualTo("mptcp/127.0.0.1/7310"));
        Assert.That(r.GetProperty("ss_established").GetString(), Does.Contain("127.0.0.1:7310"), "the kernel lists the dialled connection among its MPTCP sockets");
        Assert.That(r.GetProperty("made").GetString(), Is.EqualTo("EAGAIN"), "an O_NONBLOCK open makes the listener and finds no client yet");
        Assert.That(r.GetProperty("mptcp_listed").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "7311" }));
        Assert.That(r.GetProperty("tcp_listed").EnumerateArray(), Is.Empty, "an mptcp listener is not listed under tcp/");
        Assert.That(r.GetProperty("ss_listening").GetString(), Does.Contain(":7311"), "the kernel lists the listener among its MPTCP sockets");
        Assert.That(r.GetProperty("client").GetString(), Is.EqualTo("mptcp pong:ping"),
            "the client inside the namespace negotiated MPTCP with the mount's listener");
        Assert.That(r.GetProperty("accepted_path").GetString(), Does.StartWith("mptcp/*/7311 <- "));
        Assert.That(m.Status["listeners"], Is.EqualTo("1"));

        File.Delete(m["mptcp/listen/7311"]);
        Assert.That(SocketKit.Ls(m["mptcp/listen"]), Is.Empty, "rm closes an mptcp listener as it does a tcp one");
        Assert.That(m.Status["listeners"], Is.EqualTo("0"));
    }

    private static int Protocol(Socket s)
    {
        var value = new byte[4];
        Assert.That(s.GetRawSocketOption(SolSocket, SoProtocol, value), Is.EqualTo(4));
        return BitConverter.ToInt32(value);
    }

    /// <summary>Whether the connection of <paramref name="s"/> is MPTCP end to end: MPTCP_INFO
    /// answers. A socket that fell back to TCP refuses it: EOPNOTSUPP, or ENOPROTOOPT once the
    /// kernel passes its options through to the one TCP subflow.</summary>
    private static bool SpeaksMptcp(Socket s)
    {
        try
        {
            return s.GetRawSocketOption(SolMptcp, MptcpInfo, new byte[256]) > 0;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationNotSupported or SocketError.ProtocolOption)
        {
            return false;
        }
    }

    [Test]
    public void Handed_over_mptcp_sockets_are_IPPROTO_MPTCP()
    {
        using var m = new NetnsfsMount("create");

        using var listener = NetnsSocket.Open(m.Dir, "mptcp/listen/7320");
        Assert.That(Protocol(listener), Is.EqualTo(IpprotoMptcp), "mptcp/listen/ makes an IPPROTO_MPTCP socket");
        Assert.That(listener.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection), Is.Not.EqualTo(0), "it is listening");
        Assert.That(((IPEndPoint)listener.LocalEndPoint!).Port, Is.EqualTo(7320));

        using var dialled = NetnsSocket.Open(m.Dir, "mptcp/127.0.0.1/7320");
        Assert.That(Protocol(dialled), Is.EqualTo(IpprotoMptcp), "mptcp/HOST/PORT makes an IPPROTO_MPTCP socket");
        Assert.That(listener.Poll(Wait, SelectMode.SelectRead), Is.True, "the dialled connection reached the listener");
        using var accepted = listener.Accept();
        Assert.That(Protocol(accepted), Is.EqualTo(IpprotoMptcp));
        Assert.That(SpeaksMptcp(dialled), Is.True, "the dialled socket negotiated MPTCP");
        Assert.That(SpeaksMptcp(accepted), Is.True, "and so did the listener's side");
        accepted.ReceiveTimeout = dialled.ReceiveTimeout = 10000;
        dialled.Send("over mptcp"u8);
        var buf = new byte[64];
        Assert.That(Encoding.ASCII.GetString(buf, 0, accepted.Receive(buf)), Is.EqualTo("over mptcp"));

        // The same listener, dialled by tcp/: a plain TCP socket, which the listener takes as a fallback.
        using var plain = NetnsSocket.Open(m.Dir, "tcp/127.0.0.1/7320");
        Assert.That(Protocol(plain), Is.EqualTo((int)ProtocolType.Tcp), "tcp/ still makes IPPROTO_TCP");
        Assert.That(listener.Poll(Wait, SelectMode.SelectRead), Is.True);
        using var fallback = listener.Accept();
        Assert.That(SpeaksMptcp(fallback), Is.False, "a TCP client's connection is not MPTCP: the check above can tell");
    }
}
