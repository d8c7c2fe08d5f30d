using NetnsFs.Fuse.Abi;
using NetnsFs.Interop;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Unmounted;

/// <summary>Names that cannot be, through the filesystem's LOOKUP: each refusal is its errno at once
/// (README, Path reference), and the filesystem answers the next request as before.</summary>
[TestFixture]
public sealed class BadNameTests
{
    private UnmountedFs _fs = null!;

    [SetUp]
    public void SetUp() => _fs = new UnmountedFs();

    [TearDown]
    public void TearDown() => _fs.Dispose();

    [TestCase("nope", Errno.ENOENT)]
    [TestCase("tcp/127.0.0.1/65536", Errno.EINVAL)]
    [TestCase("tcp/127.0.0.1/0", Errno.EINVAL)]
    [TestCase("udp/127.0.0.1/65536", Errno.EINVAL)]
    [TestCase("tcp/127.0.0.1/08", Errno.ENOENT)]
    [TestCase("tcp/127.0.0.1/abc", Errno.ENOENT)]
    [TestCase("tcp/127.0.0.1/-1", Errno.ENOENT)]
    [TestCase("tcp/127.0.0.1/80/more", Errno.ENOTDIR)]
    [TestCase("tcp/listen/65536", Errno.EINVAL)]
    [TestCase("net/nope", Errno.ENOENT)]
    [TestCase("conn/1", Errno.ENOENT)]
    [TestCase("unix/path", Errno.ENOENT)]
    [TestCase("appletalk;stream;0", Errno.EAFNOSUPPORT)]
    [TestCase("inet;stream;256", Errno.EPROTONOSUPPORT)]
    public void A_name_that_cannot_be_is_refused_with_its_errno(string path, Errno expected)
    {
        Assert.That(_fs.LookupPath(path).Errno, Is.EqualTo(expected), path);
        Assert.That(_fs.LookupPath("tcp/127.0.0.1/80").Errno, Is.EqualTo((Errno)0), "and the next lookup is answered as before");
    }

    [TestCase("")]
    [TestCase("tcp")]
    [TestCase("tcp/127.0.0.1")]
    [TestCase("unix")]
    public void A_name_longer_than_NAME_MAX_is_ENAMETOOLONG(string dir)
    {
        ulong node = _fs.NodeOf(dir);
        Assert.That(_fs.Lookup(node, new string('1', 256)).Errno, Is.EqualTo(Errno.ENAMETOOLONG), "256 bytes");
        Assert.That(_fs.Lookup(node, new string('1', 255)).Errno, Is.Not.EqualTo(Errno.ENAMETOOLONG), "255 bytes is not too long");
    }

    [Test]
    public void A_name_that_is_not_UTF8_is_ENOENT()
    {
        byte[] latin1 = [(byte)'c', 0xE9, (byte)'t', 0];
        Assert.That(_fs.Lookup(NodeId.Root.Value, latin1).Errno, Is.EqualTo(Errno.ENOENT));
        Assert.That(_fs.Lookup(_fs.NodeOf("tcp"), latin1).Errno, Is.EqualTo(Errno.ENOENT));
    }

    [Test]
    public void A_lookup_under_a_file_is_ENOTDIR()
    {
        Assert.That(_fs.Lookup(_fs.NodeOf("status"), "x").Errno, Is.EqualTo(Errno.ENOTDIR));
    }
}
