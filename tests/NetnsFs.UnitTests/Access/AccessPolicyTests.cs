using NetnsFs.FileSystem.Access;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Access;

/// <summary>Who may use the handoff: exactly whom the kernel lets open the mount's socket files.
/// Without allow_other only the mounter (its uid and gid); with it the mode bits of the socket files,
/// one class only (owner, else group, else others), read and write both, root always.</summary>
public sealed class AccessPolicyTests
{
    private const uint Mounter = 0;
    private const uint Owner = 1234;
    private const uint Group = 500;
    private const uint Stranger = 4321;
    private const uint StrangerGroup = 600;

    /// <summary>No process has this pid: its supplementary groups are none.</summary>
    private const int NoSuchPid = int.MaxValue - 1;

    private static AccessPolicy Policy(uint filePermissions, bool allowOther, uint mounterUid = Mounter, uint mounterGid = Mounter) =>
        new(new MountLayout(Owner, Group, ModeBits.DirectoryDefault, ModeBits.DirectoryDefault, filePermissions), allowOther, mounterUid, mounterGid);

    [Test]
    public void Without_allow_other_only_the_mounters_uid_and_gid_are_admitted()
    {
        var p = Policy(ModeBits.ReadWrite, allowOther: false, mounterUid: 1000, mounterGid: 1000);
        Assert.Multiple(() =>
        {
            Assert.That(p.MayUse(1000, 1000, NoSuchPid), Is.True, "the mounter");
            Assert.That(p.MayUse(1000, 1001, NoSuchPid), Is.False, "the mounter's uid with another gid");
            Assert.That(p.MayUse(Owner, Group, NoSuchPid), Is.False, "the uid= owner is not the mounter, whatever the mode");
            Assert.That(p.MayUse(0, 0, NoSuchPid), Is.False, "not even root: FUSE does not let it in either");
        });
    }

    [Test]
    public void Without_allow_other_a_root_mount_admits_root_only()
    {
        var p = Policy(ModeBits.ReadWrite, allowOther: false);
        Assert.That(p.MayUse(0, 0, NoSuchPid), Is.True);
        Assert.That(p.MayUse(Stranger, StrangerGroup, NoSuchPid), Is.False);
    }

    [TestCase(ModeBits.OwnerReadWrite, true, false, false)]
    [TestCase(0b110_110_000u, true, true, false)]
    [TestCase(ModeBits.ReadWrite, true, true, true)]
    [TestCase(0b000_110_110u, false, true, true)] // the owner's class decides for the owner: no fallback to group or others
    [TestCase(0b110_000_110u, true, false, true)] // a member of the group gets the group's (none), not others'
    [TestCase(0b100_100_100u, false, false, false)] // read alone is not enough: a socket is opened O_RDWR
    [TestCase(0b010_010_010u, false, false, false)] // nor write alone
    public void With_allow_other_the_mode_bits_of_ones_class_decide(uint mode, bool owner, bool member, bool other)
    {
        var p = Policy(mode, allowOther: true);
        Assert.Multiple(() =>
        {
            Assert.That(p.MayUse(Owner, StrangerGroup, NoSuchPid), Is.EqualTo(owner), "the uid= owner");
            Assert.That(p.MayUse(Stranger, Group, NoSuchPid), Is.EqualTo(member), "a member of gid= (primary group)");
            Assert.That(p.MayUse(Stranger, StrangerGroup, NoSuchPid), Is.EqualTo(other), "anyone else");
            Assert.That(p.MayUse(0, 0, NoSuchPid), Is.True, "root, as CAP_DAC_OVERRIDE admits it");
        });
    }
}
