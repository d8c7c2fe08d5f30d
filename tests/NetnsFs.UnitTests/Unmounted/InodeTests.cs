using NetnsFs.Fuse.Abi;
using NetnsFs.Interop;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Unmounted;

/// <summary>`ls -i` and `stat -c %i` agree: the inode number READDIR gives a name is the one LOOKUP
/// and GETATTR give it, and it stays the same while the mount lives.</summary>
[TestFixture]
public sealed class InodeTests
{
    private UnmountedFs _fs = null!;

    [SetUp]
    public void SetUp() => _fs = new UnmountedFs();

    [TearDown]
    public void TearDown() => _fs.Dispose();

    /// <summary>Each listed entry against a LOOKUP of its name and a GETATTR of the node found.</summary>
    private List<string> Disagreements(string dir, Func<string, bool> which)
    {
        ulong node = _fs.NodeOf(dir);
        var wrong = new List<string>();
        foreach (var entry in _fs.ReadDir(node).Where(e => e.Name is not ("." or "..") && which(e.Name)))
        {
            var (e, found) = _fs.Lookup(node, entry.Name);
            Assert.That(e, Is.EqualTo((Errno)0), $"lookup of listed {dir}/{entry.Name}");
            var (_, attr) = _fs.GetAttr(found.NodeId);
            if (entry.Ino != found.Attr.Ino || entry.Ino != attr.Ino)
                wrong.Add($"{dir}/{entry.Name}: readdir {entry.Ino:x}, lookup {found.Attr.Ino:x}, getattr {attr.Ino:x}");
        }
        return wrong;
    }

    [Test]
    public void Stat_after_ls_agrees_on_the_fixed_entries_of_the_root()
    {
        string[] fixedEntries = ["tcp", "udp", "unix", "conn", "net", "ns", "status"];
        Assert.That(Disagreements("", fixedEntries.Contains), Is.Empty);
    }

    /// <summary>Issue 18: listed names that no lookup has made yet (the triples, tcp/listen,
    /// net/*) get a number from string.GetHashCode at READDIR, another one from the node table at
    /// LOOKUP.</summary>
    [TestCase("")]
    [TestCase("tcp")]
    [TestCase("unix")]
    [TestCase("net")]
    public void Stat_after_ls_agrees_on_every_listed_name(string dir) =>
        Assert.That(Disagreements(dir, _ => true), Is.Empty);

    [Test]
    public void A_name_looked_up_again_is_the_same_node()
    {
        var first = _fs.LookupPath("tcp/127.0.0.1/80").Entry;
        var again = _fs.LookupPath("tcp/127.0.0.1/80").Entry;
        Assert.That((again.NodeId, again.Attr.Ino), Is.EqualTo((first.NodeId, first.Attr.Ino)));
        Assert.That(first.Attr.Ino, Is.EqualTo(first.NodeId), "the inode number is the node id");
    }

    [Test]
    public void Different_names_are_different_nodes()
    {
        var ids = new[] { "tcp", "udp", "tcp/127.0.0.1/80", "tcp/127.0.0.1/81", "udp/127.0.0.1/80", "tcp/listen", "unix/listen", "net/dev", "ns", "status" }
            .Select(p => _fs.NodeOf(p)).ToList();
        Assert.That(ids, Is.Unique);
        Assert.That(ids, Has.None.EqualTo(NodeId.Root.Value));
    }
}
