using NetnsFs.FileSystem.Nodes;
using NetnsFs.Fuse.Abi;
using NetnsFs.Interop;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Unmounted;

/// <summary>The fixed layout of a single mount, as `ls -a` and `stat` see it (README, Path
/// reference), from a <see cref="NetnsFs.FileSystem.NetnsFileSystem"/> without a mount. The
/// expected names are written out here, not taken from the code that makes them.</summary>
[TestFixture]
public sealed class LayoutTests
{
    private const uint DtDir = 4;
    private const uint DtReg = 8;
    private const uint DtLnk = 10;

    private static readonly string[] Triples =
    [
        "inet;stream;tcp", "inet;dgram;udp", "inet6;stream;tcp", "inet6;dgram;udp",
        "unix;stream;0", "unix;dgram;0", "unix;seqpacket;0", "inet;raw;icmp", "inet6;raw;icmpv6",
    ];

    private static readonly string[] ProcNet =
    [
        "dev", "snmp", "snmp6", "netstat", "sockstat", "sockstat6", "tcp", "tcp6", "udp", "udp6", "raw", "raw6",
        "unix", "route", "ipv6_route", "if_inet6", "arp", "igmp", "packet", "protocols", "dev_mcast",
    ];

    private UnmountedFs _fs = null!;

    [SetUp]
    public void SetUp() => _fs = new UnmountedFs();

    [TearDown]
    public void TearDown() => _fs.Dispose();

    [Test]
    public void Ls_of_the_root_shows_the_fixed_entries_then_the_common_triples()
    {
        Assert.That(_fs.Ls(""), Is.EqualTo(new[] { ".", "..", "tcp", "udp", "unix", "mptcp", "conn", "net", "ns", "status" }.Concat(Triples)));
    }

    [Test]
    public void Ls_of_the_root_gives_each_entry_its_type()
    {
        var types = _fs.ReadDir(NodeId.Root.Value).ToDictionary(e => e.Name, e => e.Type);
        Assert.Multiple(() =>
        {
            foreach (var dir in new[] { ".", "..", "tcp", "udp", "unix", "mptcp", "conn", "net" })
                Assert.That(types[dir], Is.EqualTo(DtDir), dir);
            Assert.That(types["ns"], Is.EqualTo(DtLnk), "ns");
            Assert.That(types["status"], Is.EqualTo(DtReg), "status");
            foreach (var t in Triples)
                Assert.That(types[t], Is.EqualTo(DtReg), t);
        });
    }

    [TestCase("tcp", new[] { ".", "..", "listen" })]
    [TestCase("udp", new[] { ".", ".." })]
    [TestCase("unix", new[] { ".", "..", "listen" })]
    [TestCase("tcp/listen", new[] { ".", ".." })]
    [TestCase("unix/listen", new[] { ".", ".." })]
    [TestCase("conn", new[] { ".", ".." })]
    public void Ls_of_a_directory_with_nothing_open(string path, string[] expected) =>
        Assert.That(_fs.Ls(path), Is.EqualTo(expected));

    [Test]
    public void Ls_of_net_shows_the_proc_net_tables() =>
        Assert.That(_fs.Ls("net"), Is.EqualTo(new[] { ".", ".." }.Concat(ProcNet)));

    [Test]
    public void Dot_dot_is_the_parent()
    {
        ulong tcp = _fs.NodeOf("tcp");
        var listing = _fs.ReadDir(tcp);
        Assert.That(listing[0], Is.EqualTo(new Listed(".", tcp, DtDir)));
        Assert.That(listing[1].Ino, Is.EqualTo(NodeId.Root.Value), "tcp/.. is the root");
        Assert.That(_fs.ReadDir(_fs.NodeOf("tcp/listen"))[1].Ino, Is.EqualTo(tcp), "tcp/listen/.. is tcp");
    }

    [TestCase("", Node.S_IFDIR | ModeBits.DirectoryDefault)]
    [TestCase("tcp", Node.S_IFDIR | ModeBits.DirectoryDefault)]
    [TestCase("tcp/listen", Node.S_IFDIR | ModeBits.DirectoryDefault)]
    [TestCase("net", Node.S_IFDIR | ModeBits.DirectoryDefault)]
    [TestCase("status", Node.S_IFREG | ModeBits.ReadOnly)]
    [TestCase("net/dev", Node.S_IFREG | ModeBits.ReadOnly)]
    [TestCase("ns", Node.S_IFLNK | ModeBits.All)]
    [TestCase("inet;stream;tcp", Node.S_IFREG | (ModeBits.DirectoryDefault & ModeBits.ReadWrite))]
    [TestCase("tcp/127.0.0.1/80", Node.S_IFREG | (ModeBits.DirectoryDefault & ModeBits.ReadWrite))]
    [TestCase("udp/::1/53", Node.S_IFREG | (ModeBits.DirectoryDefault & ModeBits.ReadWrite))]
    [TestCase("tcp/listen/8080", Node.S_IFREG | (ModeBits.DirectoryDefault & ModeBits.ReadWrite))]
    [TestCase("unix/@name", Node.S_IFREG | (ModeBits.DirectoryDefault & ModeBits.ReadWrite))]
    public void Stat_gives_the_type_mode_and_owner_of_the_layout(string path, uint mode)
    {
        var (e, attr) = _fs.GetAttr(_fs.NodeOf(path));
        Assert.That(e, Is.EqualTo((Errno)0));
        Assert.Multiple(() =>
        {
            Assert.That(attr.Mode, Is.EqualTo(mode), $"mode of '{path}'");
            Assert.That((attr.Uid, attr.Gid), Is.EqualTo((UnmountedFs.Layout.Uid, UnmountedFs.Layout.Gid)), "the mount's owner");
            Assert.That(attr.NLink, Is.EqualTo((mode & 0xF000) == Node.S_IFDIR ? 2u : 1u), "links");
        });
    }

    [Test]
    public void A_socket_file_reports_1_TiB_so_parallel_writes_are_never_past_its_end()
    {
        var (_, attr) = _fs.GetAttr(_fs.NodeOf("tcp/127.0.0.1/80"));
        Assert.That(attr.Size, Is.EqualTo(1UL << 40));
    }

    /// <summary>ns names the daemon's fd of the namespace: here, the test process's own namespace.</summary>
    [Test]
    public void Ns_is_a_link_to_the_namespace_fd_of_the_daemon()
    {
        var (e, target) = _fs.ReadLink(_fs.NodeOf("ns"));
        Assert.That(e, Is.EqualTo((Errno)0));
        Assert.That(target, Does.Match($"^/proc/{Environment.ProcessId}/fd/[0-9]+$"));
        Assert.That(File.ResolveLinkTarget(target, false)?.LinkTarget, Is.EqualTo(File.ResolveLinkTarget("/proc/self/ns/net", false)?.LinkTarget),
            "the fd is this process's network namespace");
    }

    [TestCase("status")]
    [TestCase("tcp")]
    [TestCase("inet;stream;tcp")]
    public void Readlink_of_what_is_no_link_is_EINVAL(string path) =>
        Assert.That(_fs.ReadLink(_fs.NodeOf(path)).Errno, Is.EqualTo(Errno.EINVAL));

    [TestCase("status")]
    [TestCase("net/dev")]
    [TestCase("tcp/127.0.0.1/80")]
    public void Opendir_of_a_file_is_ENOTDIR(string path) =>
        Assert.That(_fs.OpenDir(_fs.NodeOf(path)), Is.EqualTo(Errno.ENOTDIR));

    /// <summary>Directories of a single mount are the grammar's, not the user's: only a multi mount's
    /// root makes namespaces by mkdir.</summary>
    [TestCase("")]
    [TestCase("tcp")]
    [TestCase("tcp/listen")]
    [TestCase("conn")]
    public void Mkdir_in_a_single_mount_is_EPERM(string path) =>
        Assert.That(_fs.MkDir(_fs.NodeOf(path), "made"), Is.EqualTo(Errno.EPERM));

    [Test]
    public void A_node_unknown_to_the_filesystem_is_ENOENT_for_getattr()
    {
        Assert.That(_fs.GetAttr(0xDEAD_BEEF).Errno, Is.EqualTo(Errno.ENOENT));
    }
}
