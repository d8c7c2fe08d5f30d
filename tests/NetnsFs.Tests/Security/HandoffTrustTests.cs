using NetnsFs.Client;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Security;

/// <summary>Issue 17: clients trust only the real daemon. A fake handoff server run by nobody (what a
/// user who replaced the socket in a writable run directory would run) answers success with an fd;
/// every client refuses it with EPERM before sending anything. A server the mount's owner runs gets
/// past that check (the rule is root or the owner), so it plays a misbehaving daemon: an answer with
/// a pipe, two fds or more fds than the client has room for is refused and leaks no fd.</summary>
public sealed class HandoffTrustTests
{
    /// <summary>The fake: each request names what to send back with errno 0: "socket" (one end of a
    /// socketpair), "pipe" (a pipe's read end), "two" (two sockets), "many" (20 sockets).</summary>
    private const string FakeServerPy = """
        import os, socket, struct, sys
        l = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        l.bind(sys.argv[1])
        l.listen(16)
        print('ready', flush=True)
        while True:
            c, _ = l.accept()
            with c:
                what = c.recv(4096).decode()
                if not what:
                    continue  # the client hung up without asking: it did not trust us
                if what == 'pipe':
                    r, w = os.pipe()
                    socket.send_fds(c, [struct.pack('<i', 0) + b'fake ok'], [r])
                    os.close(r)
                    os.close(w)
                    continue
                pairs = [socket.socketpair() for _ in range({'socket': 1, 'two': 2, 'many': 20}[what])]
                socket.send_fds(c, [struct.pack('<i', 0) + b'fake ok'], [a.fileno() for a, b in pairs])
                for a, b in pairs:
                    a.close()
                    b.close()
        """;

    /// <summary>A fake handoff socket served by nobody, and two "mounts" linking to it: one owned by
    /// root (nobody is neither root nor its owner: refused) and one owned by nobody (passes the check).</summary>
    private sealed class Fake : IDisposable
    {
        private readonly Background _server;

        public Fake(TempDir tmp)
        {
            string srv = tmp.Sub("fake-srv");
            Run.Checked(Run.Process("chown", ["65534:65534", srv]));
            string sock = Path.Combine(srv, "h.sock");
            string script = SocketKit.WriteFile(tmp, "fake.py", FakeServerPy);
            _server = new Background("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", Run.Python3, "-u", script, sock]);
            try
            {
                _server.WaitReady();
            }
            catch
            {
                _server.Dispose();
                throw;
            }
            RootMount = tmp.Sub("fake-root-mount");
            File.CreateSymbolicLink(Path.Combine(RootMount, "handoff"), sock);
            NobodyMount = tmp.Sub("fake-nobody-mount");
            File.CreateSymbolicLink(Path.Combine(NobodyMount, "handoff"), sock);
            Run.Checked(Run.Process("chown", ["-h", "65534:65534", NobodyMount]));
        }

        /// <summary>Looks like a root-owned mount whose handoff socket someone else serves.</summary>
        public string RootMount { get; }

        /// <summary>Looks like nobody's own mount: its server passes the owner check.</summary>
        public string NobodyMount { get; }

        public void Dispose() => _server.Dispose();
    }

    private const int EPERM = 1, ENOTSOCK = 88, EPROTO = 71;

    /// <summary>(mount, request, expected errno name): the attacker refused, then the bad answers of a trusted server.</summary>
    private static readonly (string Mount, string Ask, string Errno)[] Cases =
    [
        ("root", "socket", "EPERM"),
        ("nobody", "pipe", "ENOTSOCK"),
        ("nobody", "two", "EPROTO"),
        ("nobody", "many", "EPROTO"),
    ];

    private static string MountOf(Fake f, string which) => which == "root" ? f.RootMount : f.NobodyMount;

    [Test]
    public void The_CSharp_client_refuses_a_fake_server_and_answers_that_are_not_one_socket()
    {
        using var tmp = new TempDir("trust");
        using var fake = new Fake(tmp);
        var e = Assert.Throws<NetnsSocketException>(() => NetnsSocket.OpenFd(fake.RootMount, "socket"));
        Assert.That(e!.Errno, Is.EqualTo(EPERM), e.Message);
        Assert.That(e.Message, Does.Contain("handoff socket is not served by the netnsfs daemon"));
        Assert.That(Assert.Throws<NetnsSocketException>(() => NetnsSocket.OpenFd(fake.NobodyMount, "pipe"))!.Errno, Is.EqualTo(ENOTSOCK));
        Assert.That(Assert.Throws<NetnsSocketException>(() => NetnsSocket.OpenFd(fake.NobodyMount, "two"))!.Errno, Is.EqualTo(EPROTO));
        Assert.That(Assert.Throws<NetnsSocketException>(() => NetnsSocket.OpenFd(fake.NobodyMount, "many"))!.Errno, Is.EqualTo(EPROTO));
        // The owner's own server is trusted: the rule is root or the mount's owner.
        using var s = NetnsSocket.Open(fake.NobodyMount, "socket");
        Assert.That(s.Handle, Is.Not.Zero);
    }

    private const string PythonClientPy = """
        import errno, json, os, sys
        import netnsfs
        def nfds():
            return len(os.listdir('/proc/self/fd'))
        out = []
        for mount, ask in zip(sys.argv[1::2], sys.argv[2::2]):
            before = nfds()
            try:
                os.close(netnsfs.socket_fd(mount, ask))
                result, text = 'accepted', ''
            except OSError as e:
                result, text = errno.errorcode.get(e.errno, str(e.errno)), str(e)
            out.append({'ask': ask, 'result': result, 'text': text, 'leaked': nfds() - before})
        print(json.dumps(out))
        """;

    private const string CClient = """
        #include "netnsfs.h"
        #include <dirent.h>

        static int nfds(void)
        {
            int n = 0;
            DIR *d = opendir("/proc/self/fd");
            while (readdir(d))
                n++;
            closedir(d);
            return n;
        }

        int main(int argc, char **argv)
        {
            for (int i = 1; i + 1 < argc; i += 2) {
                int before = nfds();
                errno = 0;
                int fd = netnsfs_socket(argv[i], argv[i + 1]);
                int e = fd < 0 ? errno : 0;
                if (fd >= 0)
                    close(fd);
                printf("%s %d %d\n", argv[i + 1], e, nfds() - before);
            }
            return 0;
        }
        """;

    private const string PerlClient = """
        use strict;
        use warnings;
        use Netnsfs;
        sub nfds { opendir(my $d, '/proc/self/fd') or die; my @e = readdir($d); closedir($d); return scalar @e; }
        while (my ($mount, $ask) = splice(@ARGV, 0, 2)) {
            my $before = nfds();
            my $e = 0;
            my $fd = eval { Netnsfs::socket_fd($mount, $ask) };
            if (defined $fd) { POSIX::close($fd); } else { $e = $! + 0; }
            printf "%s %d %d\n", $ask, $e, nfds() - $before;
        }
        """;

    private static string[] CaseArgs(Fake f) => [.. Cases.SelectMany(c => new[] { MountOf(f, c.Mount), c.Ask })];

    [Test]
    public void The_Python_client_refuses_a_fake_server_and_bad_answers_and_leaks_no_fd()
    {
        using var tmp = new TempDir("trust");
        using var fake = new Fake(tmp);
        string script = SocketKit.WriteFile(tmp, "client.py", PythonClientPy);
        var run = Run.Process(Run.Python3, ["-u", script, .. CaseArgs(fake)], env: ClientModules.PythonPath(tmp));
        var got = SocketKit.Json(run).EnumerateArray().Select(e => (e.GetProperty("ask").GetString(), e.GetProperty("result").GetString(), e.GetProperty("leaked").GetInt32())).ToList();
        Assert.That(got, Is.EqualTo(Cases.Select(c => ((string?)c.Ask, (string?)c.Errno, 0)).ToList()), run.ToString());
        Assert.That(run.Stdout, Does.Contain("handoff socket is not served by the netnsfs daemon"), run.ToString());
    }

    private static readonly Dictionary<string, int> Errnos = new() { ["EPERM"] = EPERM, ["ENOTSOCK"] = ENOTSOCK, ["EPROTO"] = EPROTO };

    private static List<string> Expected => [.. Cases.Select(c => $"{c.Ask} {Errnos[c.Errno]} 0")];

    [Test]
    public void The_C_header_client_refuses_a_fake_server_and_bad_answers_and_leaks_no_fd()
    {
        using var tmp = new TempDir("trust");
        string source = SocketKit.WriteFile(tmp, "client.c", CClient);
        string exe = Path.Combine(tmp.Path, "client");
        var cc = Run.Process("cc", ["-Wall", "-Werror", "-I", Path.Combine(Netnsfs.RepoRoot, "samples", "c"), "-o", exe, source]);
        Assert.That(cc.ExitCode, Is.Zero, cc.ToString());
        using var fake = new Fake(tmp);
        var run = Run.Process(exe, CaseArgs(fake));
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(Expected), run.ToString());
    }

    [Test]
    public void The_Perl_client_refuses_a_fake_server_and_bad_answers_and_leaks_no_fd()
    {
        if (Run.Process("perl", ["-MSocket::MsgHdr", "-e", "1"]).ExitCode != 0)
            Assert.Ignore("Socket::MsgHdr is not installed (make deps installs libsocket-msghdr-perl)");
        using var tmp = new TempDir("trust");
        string script = SocketKit.WriteFile(tmp, "client.pl", PerlClient);
        using var fake = new Fake(tmp);
        var run = Run.Process("perl", ["-I", ClientModules.Perl(tmp), script, .. CaseArgs(fake)]);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(Expected), run.ToString());
    }

    /// <summary>The real daemon is accepted by every client, as nobody on an open mount (the server is root).</summary>
    [Test]
    public void Every_client_accepts_the_real_daemon()
    {
        using var tmp = new TempDir("trust");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        using (var s = NetnsSocket.Open(m.Dir, "inet;stream;tcp"))
            Assert.That(s.Handle, Is.Not.Zero);
        string py = SocketKit.WriteFile(tmp, "client.py", PythonClientPy);
        var r = Run.Process("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", Run.Python3, "-u", py, m.Dir, "inet;stream;tcp"], env: ClientModules.PythonPath(tmp));
        var got = SocketKit.Json(r)[0];
        Assert.That(got.GetProperty("result").GetString(), Is.EqualTo("accepted"), r.ToString());
        Assert.That(got.GetProperty("leaked").GetInt32(), Is.Zero, r.ToString());
    }
}
