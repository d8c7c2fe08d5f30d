using NetnsFs.Net.Identity;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Identity;

/// <summary>Reading who a caller is from the text of /proc/PID/status (the live read, which must
/// refuse what it cannot trust, needs root: NetnsFs.Tests, Security/ProcessStatusTests).</summary>
public sealed class ProcessCredentialsTests
{
    private const string Sample = """
        Name:	ping
        Umask:	0022
        State:	S (sleeping)
        Tgid:	4242
        Ngid:	0
        Pid:	4243
        PPid:	1
        Uid:	1000	1000	1000	1001
        Gid:	100	101	100	102
        FDSize:	64
        Groups:	4 24 27 
        NSpid:	4243
        CapInh:	0000000000000000
        CapPrm:	0000000000002000
        CapEff:	0000000000002000
        CapBnd:	000001ffffffffff

        """;

    [Test]
    public void A_status_file_gives_the_thread_group_ids_groups_and_effective_capabilities()
    {
        var s = ProcessCredentials.Parse(Sample);
        Assert.That(s, Is.Not.Null);
        var v = s!.Value;
        Assert.Multiple(() =>
        {
            Assert.That(v.Tgid, Is.EqualTo(4242));
            Assert.That((v.EUid, v.FsUid, v.EGid, v.FsGid), Is.EqualTo((1000u, 1001u, 101u, 102u)));
            Assert.That(v.Groups, Is.EqualTo(new uint[] { 4, 24, 27 }));
            Assert.That(v.CapEff, Is.EqualTo(1UL << Caller.CapNetRaw));
            Assert.That(v.Is(1001, 102), Is.True, "FUSE names the fsuid and fsgid");
            Assert.That(v.Is(1000, 101), Is.True, "SO_PEERCRED the euid and egid");
            Assert.That(v.Is(1000, 100), Is.False, "the real gid is neither");
            Assert.That(v.Is(0, 101), Is.False);
        });
    }

    [TestCase("Tgid:\t4242\n")]
    [TestCase("Tgid:\t4242\nUid:\t1\t1\t1\t1\nGid:\t1\t1\t1\t1\nGroups:\t\nCapEff:\tzz\n")]
    [TestCase("Tgid:\t4242\nUid:\t1\t1\nGid:\t1\t1\t1\t1\nGroups:\t\nCapEff:\t0\n")]
    [TestCase("Tgid:\tx\nUid:\t1\t1\t1\t1\nGid:\t1\t1\t1\t1\nGroups:\t\nCapEff:\t0\n")]
    [TestCase("Tgid:\t4242\nUid:\t1\t1\t1\t1\nGid:\t1\t1\t1\t1\nGroups:\t5 -1\nCapEff:\t0\n")]
    [TestCase("")]
    public void A_status_file_with_a_field_missing_or_malformed_gives_nothing(string text) =>
        Assert.That(ProcessCredentials.Parse(text), Is.Null);

    [Test]
    public void No_supplementary_groups_is_an_empty_list_not_a_failure()
    {
        var s = ProcessCredentials.Parse("Tgid:\t7\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\nCapEff:\t000001ffffffffff\n");
        Assert.That(s?.Groups, Is.Empty);
    }
}
