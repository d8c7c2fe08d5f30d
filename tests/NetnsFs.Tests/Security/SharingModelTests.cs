using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Security;

/// <summary>Issue 17, the sharing model: a listener, a connection and a multi namespace belong to
/// the uid that made them. Another uid opening the same listen path gets EADDRINUSE (as bind(2)
/// would) and none of the owner's clients; `rm` of another's listener, conn/N/ctl of another's
/// connection and `rmdir` of another's namespace get EPERM. Root may do all. Played by nobody
/// (65534) and a second user (1234) on allow_other,mode=0777 mounts.</summary>
public sealed class SharingModelTests
{
    private const uint Nobody = AsUser.Nobody;
    private const uint Other = AsUser.Other;

    private const string TryUnlink = """
        import os, sys
        for p in sys.argv[2:]:
            try:
                os.unlink(os.path.join(sys.argv[1], p))
                print(p, "ok")
            except OSError as e:
                print(p, e.errno)
        """;

    private const string TryRmdir = """
        import os, sys
        for p in sys.argv[2:]:
            try:
                os.rmdir(os.path.join(sys.argv[1], p))
                print(p, "ok")
            except OSError as e:
                print(p, e.errno)
        """;

    private static string Lines(RunResult r) => r.Stdout.Trim();

    [Test]
    public void Another_uid_opening_a_listen_path_gets_EADDRINUSE_and_none_of_the_owners_clients()
    {
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        string name = SocketKit.UniqueName("share");
        var own = AsUser.Python3(Other, AsUser.TryOpen, m.Dir, "tcp/listen/8080", $"unix/listen/@{name}");
        Assert.That(Lines(own), Is.EqualTo($"tcp/listen/8080 11\nunix/listen/@{name} 11"), "1234 listens (no client yet: EAGAIN)\n" + own);

        // A client queues in 1234's backlog before anyone else opens the path.
        using var client = new Background("nsenter", [$"--net={m["ns"]}", "--", Run.Python3, "-u", "-c",
            "import socket, time\ns = socket.create_connection(('127.0.0.1', 8080))\nprint('connected', flush=True)\ntime.sleep(120)"]);
        client.WaitLine(l => l == "connected", TimeSpan.FromSeconds(30));

        var other = AsUser.Python3(Nobody, AsUser.TryOpen, m.Dir, "tcp/listen/8080", $"unix/listen/@{name}");
        Assert.That(Lines(other), Is.EqualTo($"tcp/listen/8080 98\nunix/listen/@{name} 98"), "nobody is refused as bind(2) would refuse it: EADDRINUSE\n" + other);

        // The client is still 1234's to accept; then root, who may do all, finds an empty backlog.
        var again = AsUser.Python3(Other, AsUser.TryOpen, m.Dir, "tcp/listen/8080");
        Assert.That(Lines(again), Is.EqualTo("tcp/listen/8080 ok"), "1234 accepts its own client\n" + again);
        var root = Run.Python(AsUser.TryOpen, m.Dir, "tcp/listen/8080");
        Assert.That(Lines(root), Is.EqualTo("tcp/listen/8080 11"), root.ToString());
    }

    [Test]
    public void Port_0_makes_a_listener_of_the_openers_own()
    {
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        var before = SocketKit.Ls(m["tcp/listen"]);
        var made = AsUser.Python3(Nobody, AsUser.TryOpen, m.Dir, "tcp/listen/0");
        Assert.That(Lines(made), Is.EqualTo("tcp/listen/0 11"), made.ToString());
        var port = SocketKit.Ls(m["tcp/listen"]).Except(before).Single();
        var other = AsUser.Python3(Other, AsUser.TryOpen, m.Dir, $"tcp/listen/{port}", "tcp/listen/0");
        Assert.That(Lines(other), Is.EqualTo($"tcp/listen/{port} 98\ntcp/listen/0 11"), "nobody's port is nobody's; 1234's port 0 is a new listener\n" + other);
        Assert.That(SocketKit.Ls(m["tcp/listen"]).Except(before).Count(), Is.EqualTo(2));
    }

    [Test]
    public void Rm_of_another_uids_listener_is_EPERM_and_roots_rm_works()
    {
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        Assert.That(Lines(Run.Python(AsUser.TryOpen, m.Dir, "tcp/listen/8081")), Is.EqualTo("tcp/listen/8081 11"));
        Assert.That(Lines(AsUser.Python3(Other, AsUser.TryOpen, m.Dir, "tcp/listen/8082")), Is.EqualTo("tcp/listen/8082 11"));

        var nobody = AsUser.Python3(Nobody, TryUnlink, m.Dir, "tcp/listen/8081", "tcp/listen/8082");
        Assert.That(Lines(nobody), Is.EqualTo("tcp/listen/8081 1\ntcp/listen/8082 1"), "nobody closes neither root's nor 1234's listener\n" + nobody);
        var other = AsUser.Python3(Other, TryUnlink, m.Dir, "tcp/listen/8081");
        Assert.That(Lines(other), Is.EqualTo("tcp/listen/8081 1"), "nor does 1234 close root's\n" + other);
        Assert.That(SocketKit.Ls(m["tcp/listen"]), Is.SupersetOf(new[] { "8081", "8082" }), "both still listen");

        Assert.That(Lines(Run.Python(TryUnlink, m.Dir, "tcp/listen/8081")), Is.EqualTo("tcp/listen/8081 ok"), "root closes its own");
        Assert.That(Lines(AsUser.Python3(Other, TryUnlink, m.Dir, "tcp/listen/8082")), Is.EqualTo("tcp/listen/8082 ok"), "1234 closes its own");
        Assert.That(SocketKit.Ls(m["tcp/listen"]), Has.None.EqualTo("8081").And.None.EqualTo("8082"));
    }

    /// <summary>mptcp/ (added with the transport table) is held to the same rules as tcp/: the
    /// owner's listener refuses another uid, a low port needs the caller's own capability, and `rm`
    /// of another uid's listener is EPERM.</summary>
    [Test]
    public void Mptcp_listen_paths_follow_the_sharing_model_and_the_callers_privileges()
    {
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        var own = AsUser.Python3(Other, AsUser.TryOpen, m.Dir, "mptcp/listen/8083");
        Assert.That(Lines(own), Is.EqualTo("mptcp/listen/8083 11"), "1234 listens (no client yet: EAGAIN)\n" + own);

        var nobody = AsUser.Python3(Nobody, AsUser.TryOpen, m.Dir, "mptcp/listen/8083", "mptcp/listen/80");
        Assert.That(Lines(nobody), Is.EqualTo("mptcp/listen/8083 98\nmptcp/listen/80 13"),
            "nobody gets EADDRINUSE on 1234's port and EACCES on a low port\n" + nobody);
        var rm = AsUser.Python3(Nobody, TryUnlink, m.Dir, "mptcp/listen/8083");
        Assert.That(Lines(rm), Is.EqualTo("mptcp/listen/8083 1"), "nobody does not close 1234's listener\n" + rm);
        Assert.That(SocketKit.Ls(m["mptcp/listen"]), Does.Contain("8083"), "it still listens");
    }

    private const string HoldConnection = """
        import os, sys, time
        M = sys.argv[1]
        fd = os.open(M + "/tcp/127.0.0.1/7000", os.O_RDWR)
        me = "uid=%d" % os.getuid()
        for c in os.listdir(M + "/conn"):
            with open("%s/conn/%s/owner" % (M, c)) as h:
                if me in h.read():
                    print("conn", c, flush=True)
        time.sleep(120)
        """;

    private const string TryControl = """
        import os, sys
        try:
            fd = os.open(sys.argv[1], os.O_WRONLY)
            os.write(fd, b"shutdown rdwr\n")
            os.close(fd)
            print("ok")
        except OSError as e:
            print(e.errno)
        """;

    [Test]
    public void Writing_another_uids_conn_ctl_is_EPERM()
    {
        using var tmp = new TempDir("share");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        using var servers = SocketKit.StartServers(m["ns"], tmp, "echo,127.0.0.1,7000");
        using var holder = AsUser.Start(Other, HoldConnection, m.Dir);
        string n = holder.WaitLine(l => l.StartsWith("conn ", StringComparison.Ordinal), TimeSpan.FromSeconds(30))[5..];

        var nobody = AsUser.Python3(Nobody, TryControl, m[$"conn/{n}/ctl"]);
        Assert.That(Lines(nobody), Is.EqualTo("1"), "nobody may not shut down 1234's connection\n" + nobody);
        Assert.That(File.ReadAllText(m[$"conn/{n}/state"]).Trim(), Is.EqualTo("ESTABLISHED"));

        var root = Run.Python(TryControl, m[$"conn/{n}/ctl"]);
        Assert.That(Lines(root), Is.EqualTo("ok"), "root may\n" + root);
    }

    [Test]
    public void Rmdir_of_another_uids_namespace_is_EPERM()
    {
        using var m = new NetnsfsMount("multi,allow_other,mode=0777");
        Run.Checked(AsUser.Command(Other, "mkdir", m["theirs"]));
        Directory.CreateDirectory(m["roots"]);

        var nobody = AsUser.Python3(Nobody, TryRmdir, m.Dir, "theirs", "roots");
        Assert.That(Lines(nobody), Is.EqualTo("theirs 1\nroots 1"), "nobody removes neither 1234's namespace nor root's\n" + nobody);
        var other = AsUser.Python3(Other, TryRmdir, m.Dir, "roots");
        Assert.That(Lines(other), Is.EqualTo("roots 1"), other.ToString());
        Assert.That(SocketKit.Ls(m.Dir), Is.SupersetOf(new[] { "theirs", "roots" }));

        Assert.That(Lines(Run.Python(TryRmdir, m.Dir, "theirs")), Is.EqualTo("theirs ok"), "root may remove anyone's");
        Run.Checked(AsUser.Command(Nobody, "mkdir", m["mine"]));
        Assert.That(Lines(AsUser.Python3(Nobody, TryRmdir, m.Dir, "mine")), Is.EqualTo("mine ok"), "and everyone their own");
    }
}
