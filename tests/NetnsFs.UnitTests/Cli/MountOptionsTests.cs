using NetnsFs.Cli;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Cli;

/// <summary>The -o options (README, Options): what each sets, what helpers add and is ignored, and
/// the refusal, with a message naming the option, of everything else.</summary>
public sealed class MountOptionsTests
{
    private static MountOptions Parse(params string[] lists) => MountOptions.Parse(lists);

    [Test]
    public void No_options_are_the_defaults()
    {
        var o = Parse();
        Assert.Multiple(() =>
        {
            Assert.That((o.Create, o.Multi, o.AllowOther, o.Debug), Is.EqualTo((false, false, false, false)));
            Assert.That((o.NetnsPath, o.LogFile, o.HostsFile, o.ResolvConf), Is.EqualTo(((string?)null, (string?)null, (string?)null, (string?)null)));
            Assert.That((o.Uid, o.Gid, o.Mode, o.Spares, o.DefaultPermissions), Is.EqualTo(((uint?)null, (uint?)null, (uint?)null, (uint?)null, (bool?)null)));
            Assert.That((o.Linger, o.StopTimeout, o.HandoffIdle), Is.EqualTo((30u, 5u, 300u)), "linger 30 s, stop_timeout 5 s, handoff_idle 300 s");
            Assert.That(o.Limits, Is.Empty);
            Assert.That(o.Raw, Is.EqualTo(""));
        });
    }

    [Test]
    public void Each_option_sets_its_field()
    {
        var o = Parse("create,allow_other,default_permissions,debug,uid=1234,gid=99,mode=0750,linger=0,stop_timeout=3600,handoff_idle=1,log=/var/log/n.log,hosts=/h,resolv=/r");
        Assert.Multiple(() =>
        {
            Assert.That((o.Create, o.AllowOther, o.DefaultPermissions, o.Debug), Is.EqualTo((true, true, (bool?)true, true)));
            Assert.That((o.Uid, o.Gid, o.Mode), Is.EqualTo(((uint?)1234, (uint?)99, (uint?)0b111_101_000)), "mode is octal");
            Assert.That((o.Linger, o.StopTimeout, o.HandoffIdle), Is.EqualTo((0u, 3600u, 1u)));
            Assert.That((o.LogFile, o.HostsFile, o.ResolvConf), Is.EqualTo(("/var/log/n.log", "/h", "/r")));
        });
    }

    [Test]
    public void Multi_takes_spares_and_netns_takes_a_path()
    {
        var multi = Parse("multi,spares=0");
        Assert.That((multi.Multi, multi.Spares), Is.EqualTo((true, (uint?)0)));
        Assert.That(Parse("netns=/run/netns/blue").NetnsPath, Is.EqualTo("/run/netns/blue"));
    }

    [Test]
    public void Limits_are_kept_by_resource_name_with_mount_for_the_per_mount_caps()
    {
        var o = Parse("max_sockets=10,mount_max_held=5,max_snapshots=1");
        Assert.That(o.Limits, Is.EquivalentTo(new Dictionary<string, ulong> { ["sockets"] = 10, ["mount_held"] = 5, ["snapshots"] = 1 }));
    }

    [Test]
    public void Several_lists_are_one_and_raw_is_what_was_given()
    {
        var o = Parse("create,uid=5", "", "gid=6,,rw");
        Assert.That((o.Create, o.Uid, o.Gid), Is.EqualTo((true, (uint?)5, (uint?)6)));
        Assert.That(o.Raw, Is.EqualTo("create,uid=5,gid=6,rw"));
    }

    [Test]
    public void A_later_value_wins() => Assert.That(Parse("uid=1,uid=2").Uid, Is.EqualTo(2u));

    [TestCase("rw")]
    [TestCase("ro")]
    [TestCase("nosuid,nodev,noexec")]
    [TestCase("defaults,_netdev,nofail,noauto")]
    [TestCase("x-systemd.automount,x-anything=1")]
    [TestCase("fsname=netnsfs,subtype=netnsfs,comment=fstab")]
    public void What_mount_helpers_and_fstab_add_is_accepted_and_ignored(string list)
    {
        var o = Parse(list);
        Assert.That(o with { Raw = "" }, Is.EqualTo(Parse() with { Limits = o.Limits }), list);
        Assert.That(o.Limits, Is.Empty);
        Assert.That(o.Raw, Is.EqualTo(list));
    }

    [TestCase("bogus", "unknown mount option 'bogus'")]
    [TestCase("rw=1", "unknown mount option 'rw=1'")]
    [TestCase("max_bogus=1", "unknown mount option 'max_bogus=1'")]
    [TestCase("create=yes", "option 'create' takes no value")]
    [TestCase("netns=", "option 'netns=' needs a value")]
    [TestCase("log", "option 'log=' needs a value")]
    [TestCase("uid=-1", "option 'uid=-1': not a decimal number")]
    [TestCase("uid=+1", "option 'uid=+1': not a decimal number")]
    [TestCase("uid= 1", "option 'uid= 1': not a decimal number")]
    [TestCase("uid=4294967296", "option 'uid=4294967296': not a decimal number")]
    [TestCase("mode=0800", "option 'mode=0800': not a octal number")]
    [TestCase("mode=10000", "mode=10000: not a permission mode (0000-7777)")]
    [TestCase("spares=1001,multi", "spares=1001: at most 1000")]
    [TestCase("linger=3601", "linger=3601: at most 3600 seconds")]
    [TestCase("stop_timeout=3601", "stop_timeout=3601: at most 3600 seconds")]
    [TestCase("handoff_idle=0", "handoff_idle=0: 1 to 86400 seconds")]
    [TestCase("handoff_idle=86401", "handoff_idle=86401: 1 to 86400 seconds")]
    [TestCase("max_sockets=0", "max_sockets=0: at least 1")]
    [TestCase("create,netns=/x", "options 'create' and 'netns=' exclude each other")]
    [TestCase("multi,create", "option 'multi' makes namespaces by mkdir")]
    [TestCase("multi,netns=/x", "option 'multi' makes namespaces by mkdir")]
    [TestCase("spares=2", "option 'spares=' is for multi mounts only")]
    public void Anything_else_is_refused_with_a_message_naming_it(string list, string message)
    {
        var e = Assert.Throws<UsageException>(() => Parse(list));
        Assert.That(e!.Message, Does.Contain(message));
    }

    [Test]
    public void The_layout_is_the_owner_and_mode_given_with_socket_files_getting_the_read_and_write_bits()
    {
        Assert.That(DaemonHost.Layout(Parse("uid=1234,gid=99,mode=0750")),
            Is.EqualTo(new MountLayout(1234, 99, 0b111_101_000, 0b111_101_000, 0b110_100_000)));
        Assert.That(DaemonHost.Layout(Parse("uid=1,gid=2,mode=0777")).FilePermissions, Is.EqualTo(ModeBits.ReadWrite));
        Assert.That(DaemonHost.Layout(Parse("uid=1,gid=2")), Is.EqualTo(new MountLayout(1, 2, ModeBits.DirectoryDefault, ModeBits.DirectoryDefault, 0b110_100_100)),
            "0755 by default: files 0644");
    }
}
