using NetnsFs.FileSystem.Access;
using NetnsFs.FileSystem.Limits;
using NetnsFs.FileSystem.Mount;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.FileSystem.Service;
using NetnsFs.Interop;
using NUnit.Framework;
using Serilog;

namespace NetnsFs.UnitTests.Service;

/// <summary>The pure parts around the socket service: its result type, namespace names, conn/N/ctl
/// commands, and who the handoff admits.</summary>
public class MountPiecesTests
{
    private static readonly ILogger Quiet = Serilog.Core.Logger.None;

    [Test]
    public void A_result_is_a_refusal_only_with_an_errno()
    {
        var refused = SocketResult.Refused(Errno.EACCES, "tcp/listen/80: EACCES");
        Assert.That(refused.Failed, Is.True);
        Assert.That(refused.Socket, Is.Null);
        Assert.That(refused.Listener, Is.Null);
        Assert.That(refused.Message, Is.EqualTo("tcp/listen/80: EACCES"));
        Assert.Throws<ArgumentOutOfRangeException>(() => SocketResult.Refused(0, "a refusal without an errno"));
    }

    [TestCase("one", true)]
    [TestCase("a.b_c-9", true)]
    [TestCase(".hidden", false)]
    [TestCase("", false)]
    [TestCase("with space", false)]
    [TestCase("slash/no", false)]
    [TestCase("é", false)]
    public void Namespace_names_are_letters_digits_dot_underscore_dash(string name, bool valid) =>
        Assert.That(NamespaceRegistry.IsValidName(name), Is.EqualTo(valid));

    [Test]
    public void A_namespace_name_is_at_most_64_characters() =>
        Assert.That((NamespaceRegistry.IsValidName(new string('a', 64)), NamespaceRegistry.IsValidName(new string('a', 65))), Is.EqualTo((true, false)));

    [Test]
    public void A_new_namespace_name_is_refused_with_EINVAL_or_EEXIST()
    {
        using var registry = new NamespaceRegistry(MountLimits.ForFdLimit(1024, null, Quiet), null, Quiet);
        Assert.That(registry.CheckNewName("fresh"u8, out string text), Is.EqualTo((Errno)0));
        Assert.That(text, Is.EqualTo("fresh"));
        Assert.That(registry.CheckNewName("status"u8, out _), Is.EqualTo(Errno.EEXIST), "the multi mount's status file");
        Assert.That(registry.CheckNewName(".x"u8, out _), Is.EqualTo(Errno.EINVAL));
        Assert.That(registry.CheckNewName([0xff, 0xfe], out _), Is.EqualTo(Errno.EINVAL), "not UTF-8");
    }

    [Test]
    public void A_single_mount_makes_no_namespace_by_mkdir()
    {
        var limits = MountLimits.ForFdLimit(1024, null, Quiet);
        using var registry = new NamespaceRegistry(limits, null, Quiet);
        Assert.That(registry.Create("x", 1000, 1, out var ns), Is.EqualTo(Errno.EPERM));
        Assert.That(ns, Is.Null);
        Assert.That(limits.InUse(Resource.Namespaces), Is.Zero, "nothing charged for a refusal");
    }

    [TestCase("shutdown", 1)]
    [TestCase("shutdown wr", 1)]
    [TestCase("shutdown write", 1)]
    [TestCase("shutdown rd", 0)]
    [TestCase("shutdown read", 0)]
    [TestCase("shutdown rdwr", 2)]
    [TestCase("shutdown both", 2)]
    [TestCase("reboot", -1)]
    [TestCase("Shutdown", -1)]
    public void A_ctl_command_is_the_shutdown_it_names(string command, int how) =>
        Assert.That(ConnectionFiles.ShutdownOf(command), Is.EqualTo(how));

    /// <summary>A pid whose /proc status cannot be read: no supplementary group is known.</summary>
    private const int NoSuchPid = int.MaxValue;

    [Test]
    public void Without_allow_other_the_handoff_admits_the_mounting_user_alone()
    {
        var policy = new AccessPolicy(new MountLayout(1000, 1000, ModeBits.DirectoryDefault, ModeBits.DirectoryDefault, ModeBits.ReadWrite), false, 0, 0);
        Assert.That(policy.MayUse(0, 0, NoSuchPid), Is.True);
        Assert.That(policy.MayUse(1000, 1000, NoSuchPid), Is.False, "the uid= owner is not the mounter");
    }

    [TestCase(ModeBits.OwnerReadWrite, 1000u, 1000u, true)]
    [TestCase(ModeBits.OwnerReadWrite, 2000u, 1000u, false)]
    [TestCase(ModeBits.OwnerReadWrite, 2000u, 3000u, false)]
    [TestCase(ModeBits.OwnerReadWrite >> 3, 1000u, 1000u, false)]
    [TestCase(ModeBits.OwnerReadWrite >> 3, 2000u, 1000u, true)]
    [TestCase(ModeBits.OwnerReadWrite >> 3, 2000u, 3000u, false)]
    [TestCase(ModeBits.OwnerReadWrite >> 6, 2000u, 3000u, true)]
    [TestCase(ModeBits.ReadOnly, 1000u, 1000u, false)]
    [TestCase(ModeBits.ReadWrite, 2000u, 3000u, true)]
    [TestCase(ModeBits.ReadWrite, 0u, 0u, true)]
    [TestCase(0u, 0u, 0u, true)]
    public void With_allow_other_the_socket_files_mode_decides_as_for_an_open(uint mode, uint uid, uint gid, bool admitted)
    {
        var policy = new AccessPolicy(new MountLayout(1000, 1000, ModeBits.DirectoryDefault, ModeBits.DirectoryDefault, mode), true, 0, 0);
        Assert.That(policy.MayUse(uid, gid, NoSuchPid), Is.EqualTo(admitted));
    }
}
