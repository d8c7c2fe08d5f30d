using System.Net.Sockets;
using NetnsFs.Client;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Handoff;

/// <summary>Who may ask for sockets: a caller without rights on the mount gets EACCES, whether the
/// kernel stops it (mode of the path) or the daemon does (SO_PEERCRED).</summary>
public sealed class AccessTests
{
    private const string AskPy = """
        import errno, os, sys
        import netnsfs
        try:
            s = netnsfs.socket(sys.argv[1], 'inet;stream;tcp')
            print('got family=%d' % s.family)
        except OSError as e:
            print(errno.errorcode.get(e.errno, str(e.errno)))
        """;

    private const string OpenPy = """
        import errno, os, sys
        try:
            os.close(os.open(os.path.join(sys.argv[1], 'inet;stream;tcp'), os.O_RDWR))
            print('opened')
        except OSError as e:
            print(errno.errorcode.get(e.errno, str(e.errno)))
        """;

    private static RunResult AskAsNobody(TempDir tmp, string mountOrRunDir) => AskAs(tmp, 65534, 65534, mountOrRunDir);

    /// <summary>Asks the handoff socket of <paramref name="mountOrRunDir"/> for a socket as uid:gid (no other groups).</summary>
    private static RunResult AskAs(TempDir tmp, int uid, int gid, string mountOrRunDir) =>
        As(tmp, uid, gid, "ask.py", AskPy, mountOrRunDir);

    /// <summary>Opens the socket file MOUNT/inet;stream;tcp as uid:gid: what FUSE lets through.</summary>
    private static RunResult OpenAs(TempDir tmp, int uid, int gid, string mount) => As(tmp, uid, gid, "open.py", OpenPy, mount);

    private static RunResult As(TempDir tmp, int uid, int gid, string name, string text, string arg)
    {
        string script = SocketKit.WriteFile(tmp, name, text);
        var r = Run.Process("setpriv", [$"--reuid={uid}", $"--regid={gid}", "--clear-groups", "--", Run.Python3, "-u", script, arg], SocketKit.Long,
            env: ClientModules.PythonPath(tmp));
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        return r;
    }

    private static string RunDirOf(NetnsfsMount m) => Path.GetDirectoryName(File.ResolveLinkTarget(m["handoff"], false)!.FullName)!;

    /// <summary>Issue 17 item 16: the handoff follows exactly the kernel's rule. Without allow_other FUSE
    /// admits only the mounter (root here), not the uid= owner of the mount root; nor does the handoff.</summary>
    [Test]
    public void Without_allow_other_the_uid_owner_is_refused_by_FUSE_and_by_the_handoff_alike()
    {
        using var tmp = new TempDir("hand");
        using var m = new NetnsfsMount("create,uid=1234");
        Assert.That(OpenAs(tmp, 1234, 1234, m.Dir).Stdout.Trim(), Is.EqualTo("EACCES"), "FUSE refuses uid 1234: not the mounter");
        Assert.That(AskAs(tmp, 1234, 1234, RunDirOf(m)).Stdout.Trim(), Is.EqualTo("EACCES"), "the handoff refuses uid 1234 as FUSE does");
        Assert.That(OpenAs(tmp, 0, 0, m.Dir).Stdout.Trim(), Is.EqualTo("opened"), "the mounter is let in");
        using var s = NetnsSocket.Open(m.Dir, "inet;stream;tcp");
        Assert.That(m.DaemonAlive, Is.True);
    }

    /// <summary>With allow_other the mode bits decide on both sides: owner 1234 with 0700 is admitted, nobody is not.</summary>
    [Test]
    public void With_allow_other_and_mode_0700_the_uid_owner_is_admitted_and_nobody_refused_on_both_sides()
    {
        using var tmp = new TempDir("hand");
        using var m = new NetnsfsMount("create,allow_other,mode=0700,uid=1234");
        Assert.Multiple(() =>
        {
            Assert.That(OpenAs(tmp, 1234, 1234, m.Dir).Stdout.Trim(), Is.EqualTo("opened"), "FUSE: the owner's bits");
            Assert.That(AskAs(tmp, 1234, 1234, m.Dir).Stdout.Trim(), Is.EqualTo("got family=2"), "handoff: the owner's bits");
            Assert.That(OpenAs(tmp, 65534, 65534, m.Dir).Stdout.Trim(), Is.EqualTo("EACCES"), "FUSE: others have no bits");
            Assert.That(AskAs(tmp, 65534, 65534, RunDirOf(m)).Stdout.Trim(), Is.EqualTo("EACCES"), "handoff: others have no bits");
        });
    }

    [Test]
    public void A_caller_without_rights_on_the_mount_is_refused_by_the_kernel()
    {
        using var tmp = new TempDir("hand");
        using var m = new NetnsfsMount("create");
        AssertNobodyRefusedRootServed(AskAsNobody(tmp, m.Dir), m, "");
    }

    /// <summary>The nobody script was answered EACCES; root, asking the same mount, still gets a socket.</summary>
    private static void AssertNobodyRefusedRootServed(RunResult r, NetnsfsMount m, string because)
    {
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Trim(), Is.EqualTo("EACCES"), because + r);
        using var s = NetnsSocket.Open(m.Dir, "inet;stream;tcp");
        // Open throws when refused; what can still go wrong is the kind of socket handed over.
        Assert.That((s.AddressFamily, s.SocketType, s.ProtocolType), Is.EqualTo((AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)),
            "root still gets sockets: the inet;stream;tcp asked for");
    }

    [Test]
    public void A_caller_without_rights_that_reaches_the_handoff_socket_is_refused_by_the_daemon()
    {
        using var tmp = new TempDir("hand");
        // mode=0777 makes the run directory and socket writable by anyone; without allow_other the
        // daemon must still refuse other users.
        using var m = new NetnsfsMount("create,mode=0777");
        string socketPath = File.ResolveLinkTarget(m["handoff"], false)!.FullName;
        string runDir = Path.GetDirectoryName(socketPath)!;
        Assert.That(File.GetUnixFileMode(socketPath) & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite), Is.EqualTo(UnixFileMode.OtherRead | UnixFileMode.OtherWrite),
            "the socket file lets anyone connect: a refusal can only come from the daemon");
        AssertNobodyRefusedRootServed(AskAsNobody(tmp, runDir), m, "the daemon answers EACCES by SO_PEERCRED: ");
        Assert.That(m.DaemonAlive, Is.True);
    }

    [Test]
    public void Other_users_get_sockets_with_allow_other_and_an_open_mode()
    {
        using var tmp = new TempDir("hand");
        using var m = new NetnsfsMount("create,allow_other,mode=0777");
        var r = AskAsNobody(tmp, m.Dir);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout.Trim(), Is.EqualTo("got family=2"), $"the same script succeeds where the mount lets others in: {r}");
    }
}
