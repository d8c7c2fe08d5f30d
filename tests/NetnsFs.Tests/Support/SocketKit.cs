using System.Text.Json;
using NUnit.Framework;

namespace NetnsFs.Tests.Support;

/// <summary>What the socket, lifetime, handoff and security tests share: small servers that run
/// inside a namespace, scripts in temporary files, their JSON output.</summary>
public static class SocketKit
{
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    /// <summary>Servers to run inside a namespace (nsenter). Each argument is one service:
    /// echo,ADDR,PORT | id,ADDR,PORT,TAG | eof,ADDR,PORT | hold,ADDR,PORT | chunks,ADDR,PORT |
    /// uecho,NAME (abstract unix echo) | udpecho,ADDR,PORT | dns,NAME,ADDRESS (A for NAME, NXDOMAIN otherwise) |
    /// dnssilent (reads queries, never answers). Prints "ready" once all are bound; DNS queries are
    /// printed as "query NAME TYPE".</summary>
    public const string ServersPy = $$"""
        import hashlib, socket, struct, sys, threading, time

        out_lock = threading.Lock()
        def say(text):
            with out_lock:
                print(text, flush=True)

        def tcp_listener(addr, port):
            fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
            l = socket.socket(fam, socket.SOCK_STREAM)
            l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            l.bind((addr, int(port)))
            l.listen(256)
            return l

        def unix_listener(name):
            l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            l.bind('\0' + name)
            l.listen(256)
            return l

        held = []

        {{PyFunctions.Echo}}

        def ident(tag):
            def handler(c):
                with c:
                    c.sendall((tag + '\n').encode())
                    c.shutdown(socket.SHUT_WR)
                    c.settimeout(10)
                    try:
                        while c.recv(4096):
                            pass
                    except OSError:
                        pass
            return handler

        def after_eof(c):
            with c:
                data = b''
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                    data += d
                c.sendall(b'len=%d sha=%s\n' % (len(data), hashlib.sha256(data).hexdigest().encode()))

        def hold(c):
            held.append(c)

        def chunks(c):
            with c:
                buf = b''
                while not buf.endswith(b'go'):
                    d = c.recv(100)
                    if not d:
                        return
                    buf += d
                for i in range(3):
                    time.sleep(0.4)
                    c.sendall(b'chunk%d;' % i)
                while c.recv(100):
                    pass

        def serve(l, handler):
            while True:
                c, _ = l.accept()
                threading.Thread(target=handler, args=(c,), daemon=True).start()

        def qname(q):
            i, labels = 12, []
            while q[i]:
                labels.append(q[i + 1:i + 1 + q[i]].decode('ascii', 'replace'))
                i += 1 + q[i]
            qtype, = struct.unpack('>H', q[i + 1:i + 3])
            return '.'.join(labels).lower(), qtype, q[12:i + 5]

        def dns(name, address, silent):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(('127.0.0.53', 53))
            def loop():
                while True:
                    q, peer = s.recvfrom(1500)
                    try:
                        n, t, question = qname(q)
                    except Exception:
                        continue
                    say('query %s %d' % (n, t))
                    if silent:
                        continue
                    tid, = struct.unpack('>H', q[:2])
                    if n != name:
                        rcode, answers, an = 3, b'', 0
                    elif t == 1:
                        rcode, an = 0, 1
                        answers = b'\xc0\x0c' + struct.pack('>HHIH', 1, 1, 60, 4) + socket.inet_aton(address)
                    else:
                        rcode, answers, an = 0, b'', 0
                    s.sendto(struct.pack('>HHHHHH', tid, 0x8180 | rcode, 1, an, 0, 0) + question + answers, peer)
            return loop

        threads = []
        for spec in sys.argv[1:]:
            f = spec.split(',')
            kind = f[0]
            if kind == 'dns':
                threads.append(dns(f[1].lower(), f[2], False))
            elif kind == 'dnssilent':
                threads.append(dns('', '', True))
            elif kind == 'udpecho':
                u = socket.socket(socket.AF_INET6 if ':' in f[1] else socket.AF_INET, socket.SOCK_DGRAM)
                u.bind((f[1], int(f[2])))
                def udp_loop(u=u):
                    while True:
                        d, peer = u.recvfrom(65536)
                        u.sendto(d, peer)
                threads.append(udp_loop)
            elif kind == 'uecho':
                l = unix_listener(f[1])
                threads.append(lambda l=l: serve(l, echo))
            else:
                l = tcp_listener(f[1], f[2])
                handler = {'echo': echo, 'eof': after_eof, 'hold': hold, 'chunks': chunks}.get(kind)
                if kind == 'id':
                    handler = ident(f[3])
                threads.append(lambda l=l, h=handler: serve(l, h))
        for t in threads:
            threading.Thread(target=t, daemon=True).start()
        say('ready')
        while True:
            time.sleep(3600)
        """;

    /// <summary>Writes <paramref name="text"/> to <paramref name="name"/> in <paramref name="dir"/>.</summary>
    public static string WriteFile(TempDir dir, string name, string text)
    {
        string path = Path.Combine(dir.Path, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Starts <see cref="ServersPy"/> inside the namespace at <paramref name="nsPath"/>
    /// and waits until it listens.</summary>
    public static Background StartServers(string nsPath, TempDir dir, params string[] specs)
    {
        string script = Path.Combine(dir.Path, "servers.py");
        if (!File.Exists(script))
            File.WriteAllText(script, ServersPy);
        var b = new Background("nsenter", [$"--net={nsPath}", "--", Run.Python3, "-u", script, .. specs]);
        try
        {
            b.WaitReady();
        }
        catch
        {
            b.Dispose();
            throw;
        }
        return b;
    }

    /// <summary>Runs a python script (from a file, with arguments) and returns what it printed.</summary>
    public static RunResult Python(TempDir dir, string script, params string[] args)
    {
        string path = Path.Combine(dir.Path, $"script-{Guid.NewGuid():N}.py");
        File.WriteAllText(path, script);
        return Run.Process(Run.Python3, ["-u", path, .. args]);
    }

    /// <summary>As <see cref="Python"/>, inside the namespace at <paramref name="nsPath"/>.</summary>
    public static RunResult PythonIn(string nsPath, TempDir dir, string script, params string[] args)
    {
        string path = Path.Combine(dir.Path, $"script-{Guid.NewGuid():N}.py");
        File.WriteAllText(path, script);
        return Run.Process("nsenter", [$"--net={nsPath}", "--", Run.Python3, "-u", path, .. args]);
    }

    /// <summary>The last stdout line of a successful run, as JSON.</summary>
    public static JsonElement Json(RunResult r)
    {
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var last = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        Assert.That(last, Is.Not.Null, r.ToString());
        using var doc = JsonDocument.Parse(last!);
        return doc.RootElement.Clone();
    }

    /// <summary>The names `ls DIR` shows.</summary>
    public static List<string> Ls(string dir) =>
        Directory.GetFileSystemEntries(dir).Select(p => Path.GetFileName(p)).ToList();

    /// <summary>A name unique to this test run, for abstract sockets and devices.</summary>
    public static string UniqueName(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 12, prefix.Length + 32)];
}
