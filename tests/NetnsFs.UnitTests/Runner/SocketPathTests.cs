using NetnsFs.Cli.Runner;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Runner;

/// <summary>Which opens `netnsfs run` answers with a socket: only paths the mount's grammar makes a
/// socket of, under a netnsfs mount, spelled without "." or ".."; all others go to the kernel.</summary>
public sealed class SocketPathTests
{
    private static readonly string[] Mounts = ["/mnt/multi", "/mnt/ns"];

    private static bool IsRoot(string mount) => mount == "/mnt/ns";

    [TestCase("/mnt/ns/tcp/127.0.0.1/80", "/mnt/ns", "tcp/127.0.0.1/80")]
    [TestCase("/mnt/ns//inet;stream;tcp", "/mnt/ns", "inet;stream;tcp")]
    [TestCase("/mnt/ns/tcp/listen/0", "/mnt/ns", "tcp/listen/0")]
    [TestCase("/mnt/ns/unix/@sock", "/mnt/ns", "unix/@sock")]
    [TestCase("/mnt/ns/udp/example.org/53", "/mnt/ns", "udp/example.org/53")]
    [TestCase("/mnt/multi/red/tcp/10.0.0.1/22", "/mnt/multi/red", "tcp/10.0.0.1/22")]
    public void Socket_paths_are_located_at_their_namespace(string path, string dir, string request) =>
        Assert.That(SocketPath.Locate(path, Mounts, IsRoot), Is.EqualTo(new SocketTarget(dir, request)));

    [TestCase("/mnt/ns/status")]
    [TestCase("/mnt/ns/tcp")]
    [TestCase("/mnt/ns/tcp/listen")]
    [TestCase("/mnt/ns/conn/1/ctl")]
    [TestCase("/mnt/ns/net/tcp")]
    [TestCase("/mnt/ns/tcp/127.0.0.1/../127.0.0.1/80")]
    [TestCase("/mnt/ns/./tcp/127.0.0.1/80")]
    [TestCase("/mnt/nsx/tcp/127.0.0.1/80")]
    [TestCase("/tmp/tcp/127.0.0.1/80")]
    [TestCase("/mnt/ns/tcp/127.0.0.1/65536")]
    [TestCase("/mnt/multi/tcp/127.0.0.1/80")]
    [TestCase("/mnt/multi/red")]
    public void Other_paths_go_to_the_kernel(string path) =>
        Assert.That(SocketPath.Locate(path, Mounts, IsRoot), Is.Null);

    [TestCase("/usr/lib/x86_64-linux-gnu/libc.so.6", false)]
    [TestCase("/etc/ld.so.cache", false)]
    [TestCase("tcp/1.2.3.4/80", true)]
    [TestCase("/mnt/ns/udp/h/53", true)]
    [TestCase("inet;stream;tcp", true)]
    [TestCase("/home/u/src/tcpdump/x.c", false)]
    public void The_cheap_test_passes_only_what_may_be_a_socket_path(string path, bool may) =>
        Assert.That(SocketPath.MayBe(path), Is.EqualTo(may));

    [Test]
    public void Relative_paths_are_made_absolute_against_the_directory()
    {
        Assert.That(SocketPath.Absolute("tcp/h/1", "/mnt/ns"), Is.EqualTo("/mnt/ns/tcp/h/1"));
        Assert.That(SocketPath.Absolute("tcp/h/1", "/"), Is.EqualTo("/tcp/h/1"));
        Assert.That(SocketPath.Absolute("/abs", null), Is.EqualTo("/abs"));
        Assert.That(SocketPath.Absolute("rel", null), Is.Null);
        Assert.That(SocketPath.Absolute("rel", "socket:[12]"), Is.Null, "a dirfd that is no directory path");
    }

    [TestCase(2, 1, 0, "inet;stream;0")]
    [TestCase(10, 2 | 0x80000 | 0x800, 17, "inet6;dgram;17")]
    [TestCase(2, 3, 1, "inet;raw;1")]
    [TestCase(16, 3, 0, "netlink;raw;0")]
    public void Socket_calls_name_the_triple_of_the_grammar(int domain, int type, int protocol, string triple) =>
        Assert.That(SocketPath.Triple(domain, type, protocol), Is.EqualTo(triple));

    [TestCase(1, 1, 0)]
    [TestCase(2, 10, 0)]
    [TestCase(2, 1, 300)]
    public void Socket_calls_the_grammar_cannot_name_stay_in_the_programs_namespace(int domain, int type, int protocol) =>
        Assert.That(SocketPath.Triple(domain, type, protocol), Is.Null);

    [Test]
    public void Mountinfo_gives_netnsfs_mount_points_longest_first()
    {
        const string info = """
            22 1 0:21 / /proc rw,nosuid - proc proc rw
            50 22 0:45 / /mnt/ns rw,nosuid,nodev - fuse.netnsfs netnsfs rw,user_id=0
            51 22 0:46 / /mnt/ns/deeper rw - fuse.netnsfs netnsfs rw
            52 22 0:47 / /mnt/with\040space rw shared:5 - fuse.netnsfs x rw
            53 22 0:48 / /mnt/other rw - fuse.sshfs host rw
            """;
        Assert.That(NetnsfsMounts.Parse(info), Is.EqualTo(new[] { "/mnt/with space", "/mnt/ns/deeper", "/mnt/ns" }));
    }
}
