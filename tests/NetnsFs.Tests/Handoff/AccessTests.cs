using NetnsFs.Client;
using NetnsFs.Tests.Sockets;
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

    private static RunResult AskAsNobody(TempDir tmp, string mountOrRunDir)
    {
        string script = SocketKit.WriteFile(tmp, "ask.py", AskPy);
        return SocketKit.Exec("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", SocketKit.Python3, "-u", script, mountOrRunDir], SocketKit.Long,
            env: new Dictionary<string, string> { ["PYTHONPATH"] = Path.Combine(Netnsfs.RepoRoot, "samples", "python") });
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
        Assert.That(s.Handle, Is.Not.Zero, "root still gets sockets");
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
