using NetnsFs.FileSystem.Mount;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Service;

/// <summary>The open-file table's per-namespace index: what conn/, conn/self and a namespace's
/// status read instead of every open file of the mount.</summary>
public class SocketsByNamespaceTests
{
    /// <summary>Equal by value, as two namespaces of one name (rmdir, then mkdir again) would be by name.</summary>
    private sealed record Namespace(string Name);

    [Test]
    public void Each_namespace_sees_its_own_sockets_oldest_first()
    {
        var index = new SocketsByNamespace<Namespace>();
        Namespace a = new("a"), b = new("b");
        index.Add(a, 7, 100);
        index.Add(b, 3, 100);
        index.Add(a, 2, 200);
        index.Add(a, 11, 100);
        Assert.That(index.HandlesOf(a), Is.EqualTo(new ulong[] { 2, 7, 11 }));
        Assert.That(index.HandlesOf(b), Is.EqualTo(new ulong[] { 3 }));
        Assert.That(index.CountOf(a), Is.EqualTo(3));
        Assert.That(index.CountOf(b), Is.EqualTo(1));
        Assert.That(index.Count, Is.EqualTo(4));
    }

    [Test]
    public void A_namespace_made_again_under_the_same_name_does_not_see_the_old_one_s_sockets()
    {
        var index = new SocketsByNamespace<Namespace>();
        Namespace removed = new("one"), again = new("one");
        Assert.That(again, Is.EqualTo(removed), "the premise: equal by value");
        index.Add(removed, 5, 100);
        Assert.That(index.HandlesOf(again), Is.Empty);
        Assert.That(index.CountOf(again), Is.Zero);
        Assert.That(index.NewestOf(again, 100), Is.Zero);
        index.Remove(again, 5);
        Assert.That(index.CountOf(removed), Is.EqualTo(1), "a remove through the other namespace leaves it");
    }

    [Test]
    public void The_newest_socket_of_a_process_is_its_highest_handle_in_that_namespace()
    {
        var index = new SocketsByNamespace<Namespace>();
        Namespace a = new("a"), b = new("b");
        index.Add(a, 4, 100);
        index.Add(a, 9, 100);
        index.Add(a, 12, 200);
        index.Add(b, 20, 100);
        Assert.That(index.NewestOf(a, 100), Is.EqualTo(9UL));
        Assert.That(index.NewestOf(a, 200), Is.EqualTo(12UL));
        Assert.That(index.NewestOf(a, 300), Is.Zero);
        Assert.That(index.NewestOf(b, 100), Is.EqualTo(20UL));
        index.Remove(a, 9);
        Assert.That(index.NewestOf(a, 100), Is.EqualTo(4UL), "once the newest closes, the one before it");
    }

    [Test]
    public void Closing_every_socket_empties_the_index_and_counts_stay_exact()
    {
        var index = new SocketsByNamespace<Namespace>();
        Namespace a = new("a");
        index.Add(a, 1, 100);
        index.Add(a, 1, 100); // the same handle twice counts once
        index.Add(a, 2, 100);
        index.Remove(a, 3);   // never added: nothing happens
        Assert.That(index.Count, Is.EqualTo(2));
        index.Remove(a, 1);
        index.Remove(a, 1);
        index.Remove(a, 2);
        Assert.That(index.Count, Is.Zero);
        Assert.That(index.CountOf(a), Is.Zero);
        Assert.That(index.HandlesOf(a), Is.Empty);
    }

    [Test]
    public void A_listing_is_a_copy_that_sockets_closing_meanwhile_do_not_change()
    {
        var index = new SocketsByNamespace<Namespace>();
        Namespace a = new("a");
        index.Add(a, 1, 100);
        index.Add(a, 2, 100);
        var listed = index.HandlesOf(a);
        index.Remove(a, 1);
        index.Add(a, 3, 100);
        Assert.That(listed, Is.EqualTo(new ulong[] { 1, 2 }));
    }

    [Test]
    public void Adds_and_removes_from_many_threads_leave_exact_counts()
    {
        var index = new SocketsByNamespace<Namespace>();
        Namespace[] spaces = [new("a"), new("b"), new("c")];
        Parallel.For(0, 3000, i => index.Add(spaces[i % 3], (ulong)i + 1, (uint)(i % 7)));
        Parallel.For(0, 3000, i =>
        {
            if (i % 2 == 0)
                index.Remove(spaces[i % 3], (ulong)i + 1);
        });
        Assert.That(index.Count, Is.EqualTo(1500));
        Assert.That(spaces.Sum(index.CountOf), Is.EqualTo(1500));
        Assert.That(index.HandlesOf(spaces[0]).All(h => (h - 1) % 2 == 1 && (h - 1) % 3 == 0), Is.True);
    }
}
