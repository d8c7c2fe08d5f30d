using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Core;

/// <summary>Python programs the core tests run: servers inside a test's own namespace (each binds
/// port 0 and prints the port it got as its first line) and clients that print JSON.</summary>
internal static class Py
{
    /// <summary>Runs a client that prints one JSON document on its last stdout line; fails the test
    /// with its output if it exits non-zero or prints none.</summary>
    public static JsonElement Json(string script, TimeSpan timeout, params string[] args) =>
        SocketKit.Json(Run.Python(script, timeout, args));

    /// <summary>Starts SCRIPT inside <paramref name="ns"/> and returns the port it printed.</summary>
    public static int StartServer(NamespaceHolder ns, string script, params string[] args)
    {
        var p = ns.Start([Run.Python3, "-u", "-c", script, .. args]);
        var line = p.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(15)) || line.Result is null)
        {
            string err = p.HasExited ? p.StandardError.ReadToEnd() : "(still running)";
            throw new InvalidOperationException($"server in namespace printed no port; stderr: {err}");
        }
        return int.Parse(line.Result.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>argv: PATH MESSAGE. Writes MESSAGE, reads as many bytes back; prints {"written", "got"}.</summary>
    public const string EchoClient = $$"""
        import json, os, sys
        {{PyFunctions.ReadUpTo}}
        path, msg = sys.argv[1], sys.argv[2].encode()
        fd = os.open(path, os.O_RDWR)
        try:
            n = os.write(fd, msg)
            got = read_up_to(fd, len(msg))
        finally:
            os.close(fd)
        print(json.dumps({"written": n, "got": got.decode()}))
        """;

    /// <summary>TCP echo server, dual-stack (127.0.0.1 and ::1), a thread per connection, a
    /// backlog big enough for hundreds of simultaneous connects.</summary>
    public const string TcpEcho = $$"""
        import socket, threading
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", 0))
        s.listen(1024)
        print(s.getsockname()[1], flush=True)
        {{PyFunctions.Echo}}
        while True:
            c, _ = s.accept()
            threading.Thread(target=echo, args=(c,), daemon=True).start()
        """;

    /// <summary>UDP echo server on 127.0.0.1: each datagram goes back as one datagram.</summary>
    public const string UdpEcho = """
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1], flush=True)
        while True:
            d, a = s.recvfrom(65535)
            s.sendto(d, a)
        """;

    /// <summary>Reads an 8-byte big-endian length, then that many bytes, and answers
    /// "COUNT SHA256HEX\n".</summary>
    public const string Sha256Server = """
        import socket, threading, hashlib, struct
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        print(s.getsockname()[1], flush=True)
        def serve(c):
            with c:
                hdr = b""
                while len(hdr) < 8:
                    x = c.recv(8 - len(hdr))
                    if not x:
                        return
                    hdr += x
                n = struct.unpack(">Q", hdr)[0]
                h = hashlib.sha256()
                got = 0
                buf = bytearray(1 << 20)
                mv = memoryview(buf)
                while got < n:
                    k = c.recv_into(buf, min(len(buf), n - got))
                    if k == 0:
                        break
                    h.update(mv[:k])
                    got += k
                c.sendall(f"{got} {h.hexdigest()}\n".encode())
        while True:
            c, _ = s.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()
        """;
}

/// <summary>Small facts about the machine the core tests check.</summary>
internal static class Host
{
    /// <summary>Daemon processes (`netnsfs --daemon ... DIR`) serving <paramref name="dir"/>.</summary>
    public static List<int> DaemonsFor(string dir)
    {
        var found = new List<int>();
        foreach (var p in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(p), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                continue;
            try
            {
                var args = File.ReadAllText(Path.Combine(p, "cmdline")).Split('\0');
                if (args.Contains("--daemon") && args.Contains(dir) && Processes.IsAlive(pid))
                    found.Add(pid);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    public static bool LinkExists(string name) =>
        Run.Process("ip", ["link", "show", "dev", name], TimeSpan.FromSeconds(10)).ExitCode == 0;

    /// <summary>Deletes a link of the host namespace if it is there (teardown).</summary>
    public static void DeleteLink(string name)
    {
        if (LinkExists(name))
            Run.Process("ip", ["link", "del", "dev", name], TimeSpan.FromSeconds(10));
    }

    /// <summary>The status file's open socket count (release of a closed file reaches the daemon
    /// asynchronously, so callers wait for the value they expect).</summary>
    public static int Sockets(NetnsfsMount m) => (int)m.StatusNumber("sockets");

    /// <summary>A listener on the host's 127.0.0.1 on a port the kernel chose.</summary>
    public static TcpListener HostListener()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return l;
    }

    /// <summary>Opens (and closes) each path once and waits until the daemon holds no socket: the
    /// daemon's one-time lazy setup (its home namespace fd, assemblies) happens here, so that fd
    /// counts taken afterwards compare like with like.</summary>
    public static void WarmUp(NetnsfsMount m, params string[] relativePaths)
    {
        foreach (var p in relativePaths)
        {
            try
            {
                using var f = new FileStream(m[p], FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1);
            }
            catch (IOException)
            {
                // a refused dial warms the same paths
            }
        }
        Assert.That(Await.Eventually(() => Sockets(m) == 0, TimeSpan.FromSeconds(2)), Is.True, "warm-up sockets released");
    }

    public static int PortOf(TcpListener l) => ((IPEndPoint)l.LocalEndpoint).Port;

    /// <summary>A short unique suffix for interface names (IFNAMSIZ leaves 15 characters).</summary>
    public static string ShortId() => Guid.NewGuid().ToString("N")[..6];
}
