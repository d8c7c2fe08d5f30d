using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Security;

/// <summary>Issue 7's access rules, checked as an unprivileged user (uid 65534 through setpriv).</summary>
public sealed class UnprivilegedCallerTests
{
    private static RunResult AsNobody(string script, params string[] args) => AsUser.Python3(AsUser.Nobody, script, args);

    private const string TryOpen = AsUser.TryOpen;

    [Test]
    public void Without_allow_other_nobody_is_denied_by_the_mount()
    {
        using var m = new NetnsfsMount("create");
        var r = AsNobody(TryOpen, m.Dir, "inet;stream;tcp");
        Assert.That(r.Stdout, Does.Contain("inet;stream;tcp 13"), r.ToString());
    }

    [Test]
    public void Mode_bits_decide_for_others()
    {
        using var m = new NetnsfsMount("create,allow_other,mode=0750");
        var r = AsNobody(TryOpen, m.Dir, "inet;stream;tcp");
        Assert.That(r.Stdout, Does.Contain("inet;stream;tcp 13"), r.ToString());
    }

    [Test]
    public void With_a_permissive_mode_nobody_gets_sockets_but_no_raw_socket_and_no_low_port()
    {
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        var r = AsNobody(TryOpen, m.Dir, "inet;stream;tcp", "inet;raw;icmp", "inet6;raw;icmpv6", "tcp/listen/80", "tcp/listen/127.0.0.1/443", "tcp/listen/8080");
        Assert.Multiple(() =>
        {
            Assert.That(r.Stdout, Does.Contain("inet;stream;tcp ok"), r.ToString());
            Assert.That(r.Stdout, Does.Contain("inet;raw;icmp 1"), "raw sockets need CAP_NET_RAW: EPERM");
            Assert.That(r.Stdout, Does.Contain("inet6;raw;icmpv6 1"));
            Assert.That(r.Stdout, Does.Contain("tcp/listen/80 13"), "port 80 needs CAP_NET_BIND_SERVICE: EACCES");
            Assert.That(r.Stdout, Does.Contain("tcp/listen/127.0.0.1/443 13"));
            Assert.That(r.Stdout, Does.Contain("tcp/listen/8080 11"), "8080 listens; no client yet: EAGAIN");
        });
        // Root may do what nobody may not.
        var root = Run.Python(TryOpen, m.Dir, "inet;raw;icmp", "tcp/listen/80");
        Assert.That(root.Stdout, Does.Contain("inet;raw;icmp ok").And.Contain("tcp/listen/80 11"), root.ToString());
    }

    [Test]
    public void Sockets_made_for_nobody_are_owned_by_nobody()
    {
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        // nobody listens on 8080 (through the mount); the kernel's socket owner shows in ss -e.
        var r = AsNobody(TryOpen, m.Dir, "tcp/listen/8080");
        Assert.That(r.Stdout, Does.Contain("tcp/listen/8080 11"), r.ToString());
        var ss = Run.Process("nsenter", [$"--net={m["ns"]}", "ss", "-ltnHe", "sport", "=", ":8080"]);
        Assert.That(ss.Stdout, Does.Contain("uid:65534"), ss.ToString());
    }

    [Test]
    public void The_handoff_refuses_a_caller_without_rights()
    {
        using var m = new NetnsfsMount("create");
        const string handoff = """
            import socket, struct, sys
            c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                c.connect(sys.argv[1])
            except OSError as e:
                print("connect", e.errno); sys.exit(0)
            c.send(b"inet;stream;tcp")
            msg, fds, _, _ = socket.recv_fds(c, 4096, 1)
            print("reply", struct.unpack("<i", msg[:4])[0], len(fds))
            """;
        var r = AsNobody(handoff, Path.GetFullPath(Path.Combine(m.Dir, File.ResolveLinkTarget(m["handoff"], false)!.FullName)));
        Assert.That(r.Stdout.Trim(), Is.EqualTo("connect 13").Or.EqualTo("reply 13 0"), r.ToString());
    }
}
