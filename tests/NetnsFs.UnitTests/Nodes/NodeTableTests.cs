using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Abi;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Nodes;

/// <summary>The node table: one node per looked-up name, counted lookups, forget, detach, and
/// inode numbers that `ls` and `stat` agree on.</summary>
public class NodeTableTests
{

    private static NodeTable NewTable(int maxReserved = NodeTable.MaxReservedIds) =>
        new(new DirectoryNode("", null, NamespaceDirectory.Instance, ModeBits.DirectoryDefault) { IsPinned = true }, maxReserved);

    private static Node File(NodeTable t, string name) =>
        new SocketFileNode(name, t.Root, new TripleRecipe(default), ModeBits.ReadWrite);

    [Test]
    public void The_root_is_node_1()
    {
        var t = NewTable();
        Assert.That(t.Root.Id, Is.EqualTo(NodeId.Root));
        Assert.That(t.Find(NodeId.Root), Is.SameAs(t.Root));
    }

    [Test]
    public void Repeated_lookups_of_one_name_give_one_node()
    {
        var t = NewTable();
        int made = 0;
        var a = t.LookupOrAdd(t.Root, "x", () => { made++; return File(t, "x"); });
        var b = t.LookupOrAdd(t.Root, "x", () => { made++; return File(t, "x"); });
        Assert.That(b, Is.SameAs(a));
        Assert.That(made, Is.EqualTo(1));
        Assert.That(t.FindChild(t.Root, "x"), Is.SameAs(a));
        Assert.That(t.Find(a.Id), Is.SameAs(a));
    }

    [Test]
    public void A_node_stays_until_the_kernel_forgets_every_lookup()
    {
        var t = NewTable();
        var n = t.LookupOrAdd(t.Root, "x", () => File(t, "x"));
        t.LookupOrAdd(t.Root, "x", () => File(t, "x"));
        t.CountLookup(n);
        t.Forget(n.Id, 2);
        Assert.That(t.Find(n.Id), Is.SameAs(n), "one lookup is still held");
        t.Forget(n.Id, 1);
        Assert.That(t.Find(n.Id), Is.Null);
        Assert.That(t.FindChild(t.Root, "x"), Is.Null);
        Assert.That(t.LookupOrAdd(t.Root, "x", () => File(t, "x")).Id, Is.Not.EqualTo(n.Id), "a forgotten id is never given again");
    }

    [Test]
    public void Forgetting_more_than_was_looked_up_drops_the_node_once()
    {
        var t = NewTable();
        var n = t.LookupOrAdd(t.Root, "x", () => File(t, "x"));
        int before = t.Count;
        t.Forget(n.Id, 10);
        t.Forget(n.Id, 10);
        t.Forget(new NodeId(12345), 1);
        Assert.That(t.Count, Is.EqualTo(before - 1));
    }

    [Test]
    public void Pinned_nodes_survive_forget()
    {
        var t = NewTable();
        var status = t.Add(new TextFileNode("status", t.Root, _ => "", ModeBits.ReadOnly) { IsPinned = true });
        t.CountLookup(status);
        t.Forget(status.Id, 1);
        Assert.That(t.Find(status.Id), Is.SameAs(status));
        Assert.That(t.FindChild(t.Root, "status"), Is.SameAs(status));
    }

    [Test]
    public void A_detached_name_gets_a_new_node_while_the_old_id_lives_on()
    {
        var t = NewTable();
        var old = t.LookupOrAdd(t.Root, "7000", () => File(t, "7000"));
        t.Detach(old);
        Assert.That(t.FindChild(t.Root, "7000"), Is.Null);
        Assert.That(t.Find(old.Id), Is.SameAs(old), "the kernel may still use the old id until it forgets it");
        var fresh = t.LookupOrAdd(t.Root, "7000", () => File(t, "7000"));
        Assert.That(fresh, Is.Not.SameAs(old));
        t.Detach(old); // detaching the old one again leaves the new one alone
        Assert.That(t.FindChild(t.Root, "7000"), Is.SameAs(fresh));
    }

    [Test]
    public void A_listed_name_keeps_its_inode_number_for_its_lookup()
    {
        var t = NewTable();
        var listed = t.IdFor(t.Root, "inet;stream;tcp");
        Assert.That(t.IdFor(t.Root, "inet;stream;tcp"), Is.EqualTo(listed), "ls twice: the same number");
        var node = t.LookupOrAdd(t.Root, "inet;stream;tcp", () => File(t, "inet;stream;tcp"));
        Assert.That(node.Id, Is.EqualTo(listed), "stat after ls: the same number");
        Assert.That(t.IdFor(t.Root, "inet;stream;tcp"), Is.EqualTo(listed), "ls after the lookup: the node's");
        Assert.That(t.ReservedCount, Is.Zero, "the lookup took the kept id");
    }

    [Test]
    public void A_looked_up_name_lists_with_its_node_id()
    {
        var t = NewTable();
        var node = t.LookupOrAdd(t.Root, "x", () => File(t, "x"));
        Assert.That(t.IdFor(t.Root, "x"), Is.EqualTo(node.Id));
        var pinned = t.Add(new DirectoryNode("conn", t.Root, ConnectionsDirectory.Instance, ModeBits.DirectoryDefault) { IsPinned = true });
        Assert.That(t.IdFor(t.Root, "conn"), Is.EqualTo(pinned.Id));
        Assert.That(t.ReservedCount, Is.Zero);
    }

    [Test]
    public void Inode_numbers_never_collide()
    {
        var t = NewTable();
        var dir = t.Add(new DirectoryNode("conn", t.Root, ConnectionsDirectory.Instance, ModeBits.DirectoryDefault) { IsPinned = true });
        var ids = new HashSet<ulong> { t.Root.Id.Value, dir.Id.Value };
        for (int i = 0; i < 5000; i++)
        {
            Assert.That(ids.Add(t.IdFor(t.Root, "n" + i).Value), Is.True, $"root/n{i}");
            Assert.That(ids.Add(t.IdFor(dir, "n" + i).Value), Is.True, $"conn/n{i}: the same name in another directory is another inode");
        }
        for (int i = 0; i < 100; i++)
            Assert.That(ids.Add(t.LookupOrAdd(t.Root, "m" + i, () => File(t, "m" + i)).Id.Value), Is.True);
    }

    [Test]
    public void Kept_ids_are_bounded_and_the_oldest_goes_first()
    {
        var t = NewTable(maxReserved: 3);
        var a = t.IdFor(t.Root, "a");
        var b = t.IdFor(t.Root, "b");
        t.IdFor(t.Root, "c");
        var d = t.IdFor(t.Root, "d");
        Assert.That(t.ReservedCount, Is.EqualTo(3));
        Assert.That(t.IdFor(t.Root, "b"), Is.EqualTo(b), "b is still kept");
        var again = t.IdFor(t.Root, "a");
        Assert.That(again, Is.Not.EqualTo(a), "a was the oldest: dropped, and given a new number");
        Assert.That(again.Value, Is.GreaterThan(d.Value), "a new number, never a shared one");
        Assert.That(t.ReservedCount, Is.EqualTo(3));
    }

    [Test]
    public void Added_nodes_take_the_id_kept_for_their_name()
    {
        var t = NewTable();
        var kept = t.IdFor(t.Root, "h1");
        var dir = t.Add(new DirectoryNode("h1", t.Root, NamespaceDirectory.Instance, ModeBits.DirectoryDefault) { IsPinned = true });
        Assert.That(dir.Id, Is.EqualTo(kept));
    }
}
