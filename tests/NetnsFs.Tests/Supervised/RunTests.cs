using NetnsFs.Tests.Security;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Supervised;

/// <summary>`netnsfs run`: opens of socket paths, and with --net socket(2), become real kernel
/// sockets made in the mount's namespace; everything else goes to the kernel untouched.</summary>
public sealed class RunTests
{
    private static RunResult UnderRun(IEnumerable<string> runArgs, params string[] command) =>
        Run.Process(RunBinary.Path, ["run", .. runArgs, "--", .. command], TimeSpan.FromSeconds(60));

    private static RunResult PythonUnderRun(string script, params string[] args) =>
        UnderRun([], [Run.Python3, "-c", script, .. args]);

    private const string RealSocketsPy = """
        import json, os, socket, sys
        M = sys.argv[1]
        out = {}
        lfd = os.open(M + "/tcp/listen/0", os.O_RDWR)
        listener = socket.socket(fileno=lfd)
        port = listener.getsockname()[1]
        out["listen_kind"] = os.readlink("/proc/self/fd/%d" % lfd)[:7]
        out["listening"] = listener.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        dfd = os.open("%s/tcp/127.0.0.1/%d" % (M, port), os.O_RDWR)
        dial = socket.socket(fileno=dfd)
        out["dial_kind"] = os.readlink("/proc/self/fd/%d" % dfd)[:7]
        out["so_type"] = dial.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)
        out["cloexec_default"] = not os.get_inheritable(dfd)
        peer, _ = listener.accept()
        peer.sendall(b"over the kernel socket")
        out["dial_read"] = dial.recv(100).decode()
        tfd = os.open(M + "/inet;stream;tcp", os.O_RDWR | os.O_CREAT, 0o777)
        triple = socket.socket(fileno=tfd)
        triple.connect(("127.0.0.1", port))
        peer2, _ = listener.accept()
        triple.sendall(b"the program connected it")
        out["triple_read"] = peer2.recv(100).decode()
        out["inode_ns"] = os.readlink(M + "/ns")
        try:
            os.open("%s/tcp/127.0.0.1/1" % M, os.O_RDWR)
        except OSError as e:
            out["refused"] = e.errno
        nb = os.open("%s/tcp/127.0.0.1/%d" % (M, port), os.O_RDWR | os.O_NONBLOCK)
        out["nonblock_honoured"] = not os.get_blocking(nb)
        with open("/etc/hostname") as f:
            out["other_files"] = len(f.read()) >= 0
        print(json.dumps(out))
        """;

    [Test]
    public void Opens_of_dial_listen_and_triple_paths_return_real_sockets_of_the_namespace()
    {
        using var m = new NetnsfsMount("create");
        var r = SocketKit.Json(PythonUnderRun(RealSocketsPy, m.Dir));
        Assert.Multiple(() =>
        {
            Assert.That(r.GetProperty("dial_kind").GetString(), Is.EqualTo("socket:"), "the dial's fd is a kernel socket, not a FUSE file");
            Assert.That(r.GetProperty("listen_kind").GetString(), Is.EqualTo("socket:"));
            Assert.That(r.GetProperty("listening").GetInt32(), Is.EqualTo(1), "a listen path gives a listening socket of the caller's own");
            Assert.That(r.GetProperty("so_type").GetInt32(), Is.EqualTo(1), "SO_TYPE of a stream socket");
            Assert.That(r.GetProperty("cloexec_default").GetBoolean(), Is.True, "Python opens with O_CLOEXEC: honoured");
            Assert.That(r.GetProperty("dial_read").GetString(), Is.EqualTo("over the kernel socket"));
            Assert.That(r.GetProperty("triple_read").GetString(), Is.EqualTo("the program connected it"), "the proposal's open of a triple, connected by the program");
            Assert.That(r.GetProperty("refused").GetInt32(), Is.EqualTo(111), "the dial's errno, ECONNREFUSED, is the open's");
            Assert.That(r.GetProperty("nonblock_honoured").GetBoolean(), Is.True, "O_NONBLOCK of the open is the socket's");
            Assert.That(r.GetProperty("other_files").GetBoolean(), Is.True);
        });
    }

    [Test]
    public void Without_run_the_same_open_is_a_FUSE_file_and_under_run_bash_gets_a_socket()
    {
        using var m = new NetnsfsMount("create");
        string script = $"exec 3<>'{m.Dir}/udp/127.0.0.1/9'; readlink /proc/self/fd/3";
        var plain = Run.Bash(script);
        var run = UnderRun([], "/bin/bash", "-c", script);
        Assert.That(plain.Stdout, Does.Not.StartWith("socket:"), plain.ToString());
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.StartWith("socket:["), "bash's exec 3<> under run: " + run);
    }

    [Test]
    public void A_thread_of_a_multithreaded_target_and_a_forked_child_both_get_sockets()
    {
        using var m = new NetnsfsMount("create");
        const string py = """
            import os, subprocess, sys, threading
            M = sys.argv[1]
            kinds = []
            def opener():
                fd = os.open(M + "/udp/127.0.0.1/9", os.O_RDWR)
                kinds.append(os.readlink("/proc/self/fd/%d" % fd)[:7])
            t = threading.Thread(target=opener); t.start(); t.join()
            child = subprocess.run(["/bin/bash", "-c", "exec 3<>'%s/udp/127.0.0.1/9'; readlink /proc/self/fd/3" % M], capture_output=True, text=True)
            print(kinds[0], child.stdout.strip()[:7])
            """;
        var r = PythonUnderRun(py, m.Dir);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Trim(), Is.EqualTo("socket: socket:"), r.ToString());
    }

    private const string GoFileConn = """
        package main

        import (
        	"bufio"
        	"fmt"
        	"net"
        	"os"
        )

        func main() {
        	f, err := os.OpenFile(os.Args[1], os.O_RDWR, 0)
        	if err != nil {
        		fmt.Println("open:", err)
        		os.Exit(1)
        	}
        	c, err := net.FileConn(f)
        	if err != nil {
        		fmt.Println("FileConn:", err)
        		os.Exit(1)
        	}
        	fmt.Fprintln(c, "hello from go")
        	line, _ := bufio.NewReader(c).ReadString('\n')
        	fmt.Printf("%s %s", c.RemoteAddr(), line)
        }
        """;

    [Test]
    public void A_Go_program_turns_an_opened_dial_path_into_a_net_Conn()
    {
        using var tmp = new TempDir("rungo");
        using var m = new NetnsfsMount("create");
        File.WriteAllText(Path.Combine(tmp.Path, "main.go"), GoFileConn);
        var env = new Dictionary<string, string> { ["GOCACHE"] = Path.Combine(tmp.Path, "cache"), ["HOME"] = tmp.Path, ["GO111MODULE"] = "off", ["CGO_ENABLED"] = "0" };
        var build = Run.Process("go", ["build", "-o", Path.Combine(tmp.Path, "fileconn"), Path.Combine(tmp.Path, "main.go")], TimeSpan.FromSeconds(300), env: env);
        Assert.That(build.ExitCode, Is.Zero, build.ToString());
        // An echo server inside the namespace, answering the line it reads.
        using var echo = new Background("nsenter", [$"--net={m["ns"]}", "--", Run.Python3, "-u", "-c",
            "import socket\ns=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); print('ready', s.getsockname()[1], flush=True)\nc,_=s.accept(); c.sendall(b'echo: '+c.makefile().readline().encode())"]);
        string port = echo.WaitReady().Split(' ')[1];
        var r = UnderRun([], Path.Combine(tmp.Path, "fileconn"), $"{m.Dir}/tcp/127.0.0.1/{port}");
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Trim(), Is.EqualTo($"127.0.0.1:{port} echo: hello from go"), "net.FileConn accepts the fd: a kernel socket");
    }

    [Test]
    public void Curl_under_run_net_reaches_a_server_inside_the_namespace_and_not_the_hosts()
    {
        using var tmp = new TempDir("run");
        using var m = new NetnsfsMount("create");
        File.WriteAllText(Path.Combine(tmp.Path, "index.html"), "inside the namespace\n");
        int port = 18080 + Random.Shared.Next(1000);
        using var inside = new Background("nsenter", [$"--net={m["ns"]}", "--", Run.Python3, "-m", "http.server", "--bind", "127.0.0.1", "--directory", tmp.Path, port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.That(Await.Eventually(() => Run.Process("nsenter", [$"--net={m["ns"]}", "--", "curl", "-s", "-o", "/dev/null", $"http://127.0.0.1:{port}/"]).ExitCode == 0, TimeSpan.FromSeconds(20)), Is.True, "the server inside came up");
        var viaRun = UnderRun(["--net", m.Dir], "curl", "-sS", "-m", "10", $"http://127.0.0.1:{port}/index.html");
        var onHost = Run.Process("curl", ["-sS", "-m", "5", $"http://127.0.0.1:{port}/index.html"]);
        Assert.That(viaRun.ExitCode, Is.Zero, viaRun.ToString());
        Assert.That(viaRun.Stdout, Is.EqualTo("inside the namespace\n"));
        Assert.That(onHost.ExitCode, Is.Not.Zero, "the same URL on the host's loopback has no server: " + onHost);

        // ... and a server on the host's loopback is out of reach under --net.
        int hostPort = port + 1000;
        using var host = new Background(Run.Python3, ["-m", "http.server", "--bind", "127.0.0.1", "--directory", tmp.Path, hostPort.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.That(Await.Eventually(() => Run.Process("curl", ["-s", "-o", "/dev/null", $"http://127.0.0.1:{hostPort}/"]).ExitCode == 0, TimeSpan.FromSeconds(20)), Is.True);
        var toHost = UnderRun(["--net", m.Dir], "curl", "-sS", "-m", "5", $"http://127.0.0.1:{hostPort}/index.html");
        Assert.That(toHost.ExitCode, Is.EqualTo(7), "curl under --net cannot connect to the host's server: " + toHost);
    }

    [Test]
    public void An_unmodified_server_under_run_net_listens_inside_the_namespace_and_ip_shows_its_addresses()
    {
        using var tmp = new TempDir("run");
        using var m = new NetnsfsMount("create");
        File.WriteAllText(Path.Combine(tmp.Path, "index.html"), "served from run\n");
        int port = 20080 + Random.Shared.Next(1000);
        using var server = new Background(RunBinary.Path, ["run", "--net", m.Dir, "--", Run.Python3, "-m", "http.server", "--bind", "127.0.0.1", "--directory", tmp.Path, port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.That(Await.Eventually(() => Run.Process("nsenter", [$"--net={m["ns"]}", "--", "curl", "-s", "-o", "/dev/null", $"http://127.0.0.1:{port}/"]).ExitCode == 0, TimeSpan.FromSeconds(20)), Is.True,
            "the server under run --net listens in the namespace: " + string.Join('\n', server.Lines));
        var ip = UnderRun(["--net", m.Dir], "ip", "-br", "addr");
        var inside = Run.Process("nsenter", [$"--net={m["ns"]}", "--", "ip", "-br", "addr"]);
        Assert.That(ip.ExitCode, Is.Zero, ip.ToString());
        Assert.That(ip.Stdout, Is.EqualTo(inside.Stdout), "netlink route sockets are the namespace's");
        var added = UnderRun(["--net", m.Dir], "ip", "addr", "add", "10.77.0.1/24", "dev", "lo");
        Assert.That(added.ExitCode, Is.Zero, "root may change the namespace, as with ip netns exec: " + added);
        Assert.That(Run.Process("nsenter", [$"--net={m["ns"]}", "--", "ip", "-br", "addr"]).Stdout, Does.Contain("10.77.0.1/24"));
    }

    [Test]
    public void Nobody_under_run_net_is_refused_raw_sockets_a_low_port_and_changes_to_the_namespace()
    {
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        const string py = """
            import errno, socket, sys
            out = []
            try:
                socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); out.append("raw ok")
            except OSError as e:
                out.append("raw " + errno.errorcode[e.errno])
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", 80)); out.append("bind80 ok")
            except OSError as e:
                out.append("bind80 " + errno.errorcode[e.errno])
            s2 = socket.socket(); s2.bind(("127.0.0.1", 0)); s2.listen()
            out.append("bind-high ok")
            print(" ".join(out))
            """;
        var r = AsUser.Command(AsUser.Nobody, RunBinary.Path, "run", "--net", m.Dir, "--", Run.Python3, "-c", py);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Trim(), Is.EqualTo("raw EPERM bind80 EACCES bind-high ok"), r.ToString());
        var ip = AsUser.Command(AsUser.Nobody, RunBinary.Path, "run", "--net", m.Dir, "--", "ip", "addr", "add", "10.78.0.1/24", "dev", "lo");
        Assert.That(ip.ExitCode, Is.Not.Zero, "changing the namespace needs CAP_NET_ADMIN there: " + ip);
        Assert.That(ip.Stderr, Does.Contain("Operation not permitted"), ip.ToString());
    }

    [Test]
    public void A_mount_nobody_may_not_use_gives_the_same_EACCES_under_run_as_without()
    {
        using var m = new NetnsfsMount("create,allow_other,mode=0700");
        var plain = AsUser.Python3(AsUser.Nobody, AsUser.TryOpen, m.Dir, "inet;stream;tcp", "tcp/listen/0");
        var run = AsUser.Command(AsUser.Nobody, RunBinary.Path, "run", "--", Run.Python3, "-c", AsUser.TryOpen, m.Dir, "inet;stream;tcp", "tcp/listen/0");
        Assert.That(plain.Stdout, Does.Contain("inet;stream;tcp 13"), plain.ToString());
        Assert.That(run.Stdout, Is.EqualTo(plain.Stdout), run.ToString());
        var netRun = AsUser.Command(AsUser.Nobody, RunBinary.Path, "run", "--net", m.Dir, "--", "/bin/true");
        Assert.That(netRun.ExitCode, Is.EqualTo(1), "--net on a namespace nobody may not use: " + netRun);
    }

    [Test]
    public void A_run_inside_a_run_says_EBUSY_and_its_command_is_served_by_the_outer_run()
    {
        using var m = new NetnsfsMount("create");
        string script = $"exec 3<>'{m.Dir}/udp/127.0.0.1/9'; readlink /proc/self/fd/3";
        var r = UnderRun([], RunBinary.Path, "run", "--", "/bin/bash", "-c", script);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stderr, Does.Contain("EBUSY"), "the inner run cannot listen (one listener per filter tree) and says so in one line");
        Assert.That(r.Stdout, Does.StartWith("socket:["), "the outer run's filter still traps the inner command's open: " + r);
    }

    /// <summary>open(2) through the i386 entry (int $0x80), which the filter lets through.</summary>
    private const string I386OpenC = """
        /* open(2) through the i386 entry (int $0x80), which `netnsfs run`'s filter does not trap. */
        #include <stdio.h>
        #include <string.h>
        #include <unistd.h>
        static char path[4096];
        int main(int argc, char **argv) {
            strncpy(path, argv[1], sizeof path - 1);
            long fd;
            __asm__ volatile ("int $0x80" : "=a"(fd) : "a"(5), "b"(path), "c"(2 | 0100000), "d"(0) : "memory");
            if (fd < 0) { printf("error %ld\n", -fd); return 1; }
            char proc[64], link[4096];
            snprintf(proc, sizeof proc, "/proc/self/fd/%ld", fd);
            ssize_t n = readlink(proc, link, sizeof link - 1);
            link[n > 0 ? n : 0] = 0;
            printf("%s\n", link);
            return 0;
        }
        """;

    [Test]
    public void An_i386_open_is_not_trapped_and_gets_the_FUSE_file_with_the_FUSE_files_checks()
    {
        string source = Path.Combine(RunBinary.Dir, "i386open.c");
        string program = Path.Combine(RunBinary.Dir, "i386open");
        File.WriteAllText(source, I386OpenC);
        var cc = Run.Process("gcc", ["-O1", "-no-pie", "-o", program, source]);
        Assert.That(cc.ExitCode, Is.Zero, cc.ToString());
        File.SetUnixFileMode(program, (UnixFileMode)0x1ed);
        using var m = new NetnsfsMount("create");
        var r = UnderRun([], program, $"{m.Dir}/udp/127.0.0.1/9");
        Assert.That(r.Stdout.Trim(), Is.EqualTo($"{m.Dir}/udp/127.0.0.1/9"), "the foreign ABI's open reaches the kernel: the FUSE socket file, as without run: " + r);

        using var closed = new NetnsfsMount("create,allow_other,mode=0700");
        var nobody = AsUser.Command(AsUser.Nobody, RunBinary.Path, "run", "--", program, $"{closed.Dir}/udp/127.0.0.1/9");
        Assert.That(nobody.Stdout.Trim(), Is.EqualTo("error 13"), "and a mount nobody may not use refuses it there: a miss is no hole: " + nobody);
    }

    [Test]
    public void A_target_killed_while_its_open_dials_leaves_nothing_behind_in_the_daemon()
    {
        using var m = new NetnsfsMount("create");
        // A firewall rule in the namespace drops the SYN: the connect waits, as to a host that
        // does not answer.
        Run.Checked(Run.Process("nsenter", [$"--net={m["ns"]}", "--", "nft", "add table inet t; add chain inet t out { type filter hook output priority 0; }; add rule inet t out ip daddr 127.0.0.2 tcp dport 80 drop"]));
        // One request first, so that what the daemon keeps once it has served one (the handoff
        // socket, bound at first use, and its namespace handles) is in the baseline.
        Assert.That(UnderRun([], "/bin/bash", "-c", $"exec 3<>'{m.Dir}/udp/127.0.0.1/9'").ExitCode, Is.Zero);
        int baseline = DaemonFds.Settled(m); // once the warm-up's handoff connection is closed
        using var run = new Background(RunBinary.Path, ["run", "--", Run.Python3, "-u", "-c",
            "import os, sys\nprint(os.getpid(), flush=True)\nos.open(sys.argv[1] + '/tcp/127.0.0.2/80', os.O_RDWR)", m.Dir]);
        int target = int.Parse(run.WaitLine(_ => true, TimeSpan.FromSeconds(20)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(Await.Eventually(() => m.DaemonFdCount >= baseline + 2, TimeSpan.FromSeconds(20)), Is.True, "the dial is under way in the daemon (its handoff connection and socket)");
        Run.Process("kill", ["-KILL", target.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.That(Processes.WaitGone(run.Pid, TimeSpan.FromSeconds(10)), Is.True, "run ends with its command");
        Assert.That(Await.Eventually(() => m.DaemonFdCount == baseline, TimeSpan.FromSeconds(10)), Is.True,
            $"the dial was cancelled: the daemon holds {m.DaemonFdCount} fds, {baseline} before");
    }

    private const string NonBlockingDialPy = """
        import errno, os, select, socket, sys, time
        start = time.monotonic()
        fd = os.open(sys.argv[1] + "/tcp/127.0.0.2/80", os.O_RDWR | os.O_NONBLOCK)
        took = time.monotonic() - start
        s = socket.socket(fileno=fd)
        writable = select.select([], [s], [], 0.3)[1]
        try:
            s.connect(("127.0.0.2", 80))
            again = "connected"
        except OSError as e:
            again = errno.errorcode[e.errno]
        print(took < 5, os.get_blocking(fd), len(writable), again)
        """;

    [Test]
    public void A_non_blocking_open_of_a_dial_path_returns_with_the_connect_in_progress()
    {
        using var m = new NetnsfsMount("create");
        // The SYN is dropped: a blocking dial would wait for minutes, as to a host that does not answer.
        Run.Checked(Run.Process("nsenter", [$"--net={m["ns"]}", "--", "nft", "add table inet t; add chain inet t out { type filter hook output priority 0; }; add rule inet t out ip daddr 127.0.0.2 tcp dport 80 drop"]));
        var r = PythonUnderRun(NonBlockingDialPy, m.Dir);
        Assert.That(r.Stdout.Trim(), Is.EqualTo("True False 0 EALREADY"),
            "the open returns at once with a non-blocking socket whose connect is under way (not writable yet; connect(2) again says EALREADY), as connect(2) on one leaves it: " + r);
    }

    [Test]
    public void Processes_that_outlive_the_command_are_served_by_a_survivor_until_they_exit()
    {
        using var m = new NetnsfsMount("create");
        using var tmp = new TempDir("survivor");
        string socketLink = Path.Combine(tmp.Path, "socket"), log = Path.Combine(tmp.Path, "log");
        // COMMAND leaves a job behind that opens a socket path and a log file for writing (both
        // trapped) once COMMAND has exited, and run with it.
        string job = $"( sleep 1; exec 3<>'{m.Dir}/udp/127.0.0.1/9' && readlink /proc/self/fd/3 > '{socketLink}'; echo written > '{log}' ) >/dev/null 2>&1 &";
        var r = UnderRun([], "/bin/bash", "-c", job);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(File.Exists(socketLink), Is.False, "run returned with COMMAND, before its job opened anything");
        var survivors = SurvivorPids();
        Assert.That(survivors, Is.Not.Empty, "a survivor took the listener over");
        Assert.That(Await.Eventually(() => File.Exists(log), TimeSpan.FromSeconds(15)), Is.True, "the job's trapped calls were answered, not failed with ENOSYS");
        Assert.That(File.ReadAllText(socketLink), Does.StartWith("socket:["), "and its open of a socket path gave a real socket");
        Assert.That(Await.Eventually(() => survivors.All(p => !Processes.IsAlive(p)), TimeSpan.FromSeconds(15)), Is.True, "the survivor goes with the last process under the filter");
    }

    private static List<int> SurvivorPids() =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out int pid) ? pid : 0)
            .Where(pid => pid > 0 && ReadCmdline(pid).Contains("\0--run-survivor\0", StringComparison.Ordinal))];

    private static string ReadCmdline(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ""; // gone meanwhile
        }
    }

    [Test]
    public void Bad_input_is_one_line_and_a_status()
    {
        using var tmp = new TempDir("run");
        var none = Run.Process(RunBinary.Path, ["run"]);
        Assert.That(none.ExitCode, Is.EqualTo(2), none.ToString());
        Assert.That(none.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
        var notMount = Run.Process(RunBinary.Path, ["run", "--net", tmp.Path, "--", "/bin/true"]);
        Assert.That(notMount.ExitCode, Is.EqualTo(1), notMount.ToString());
        Assert.That(notMount.Stderr, Does.Contain("not a namespace of a netnsfs mount"));
        var missing = Run.Process(RunBinary.Path, ["run", "--", "/nonexistent/program"]);
        Assert.That(missing.ExitCode, Is.EqualTo(127), missing.ToString());
        var status = Run.Process(RunBinary.Path, ["run", "--", "/bin/sh", "-c", "exit 7"]);
        Assert.That(status.ExitCode, Is.EqualTo(7), "the command's status is run's");
    }

    [Test]
    public void The_target_dies_with_its_supervisor()
    {
        using var m = new NetnsfsMount("create");
        using var run = new Background(RunBinary.Path, ["run", "--", "/bin/bash", "-c", "echo $$; exec sleep 60"]);
        string pid = run.WaitLine(_ => true, TimeSpan.FromSeconds(20));
        int target = int.Parse(pid.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(Processes.IsAlive(target), Is.True);
        Run.Process("kill", ["-KILL", run.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.That(Processes.WaitGone(target, TimeSpan.FromSeconds(10)), Is.True, "a target without its supervisor would find every open failing (ENOSYS): it goes with it");
    }
}
