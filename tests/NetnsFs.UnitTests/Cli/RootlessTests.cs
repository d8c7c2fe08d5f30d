using NetnsFs.Cli;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Cli;

/// <summary>What a rootless mount says when the machine will not give the user a user namespace,
/// and how a uid map is read.</summary>
public sealed class RootlessTests
{
    private static Func<string, string?> Sysctls(params (string Name, string Value)[] set) =>
        name => set.FirstOrDefault(s => s.Name == name).Value;

    [TestCase("user/max_user_namespaces", "0", "user.max_user_namespaces = 0", "sysctl -w user.max_user_namespaces=15000")]
    [TestCase("kernel/unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone = 0", "sysctl -w kernel.unprivileged_userns_clone=1")]
    [TestCase("kernel/apparmor_restrict_unprivileged_userns", "1", "AppArmor", "kernel.apparmor_restrict_unprivileged_userns=0")]
    [TestCase("user/max_net_namespaces", "0", "user.max_net_namespaces = 0", "sysctl -w user.max_net_namespaces=15000")]
    public void A_sysctl_that_refuses_user_namespaces_is_named_with_its_fix(string sysctl, string value, string cause, string fix)
    {
        string said = Rootless.Diagnose(Sysctls((sysctl, value)), "unshare: unshare failed: Operation not permitted");
        Assert.That(said, Does.Contain(cause).And.Contain(fix));
        Assert.That(said, Does.Not.Contain("\n"), "one line");
    }

    [Test]
    public void Sysctls_that_allow_them_leave_unshares_own_words()
    {
        var allowing = Sysctls(("user/max_user_namespaces", "15000"), ("kernel/apparmor_restrict_unprivileged_userns", "0"), ("kernel/unprivileged_userns_clone", "1"));
        Assert.That(Rootless.Diagnose(allowing, "unshare: write failed /proc/self/uid_map: Operation not permitted"),
            Does.EndWith("unshare: write failed /proc/self/uid_map: Operation not permitted"));
        Assert.That(Rootless.Diagnose(_ => null, ""), Does.EndWith("unshare failed"));
    }

    [TestCase("         0          0 4294967295\n", 0u, true, 0u)]
    [TestCase("         0       1000          1\n", 0u, false, 1000u)]
    [TestCase("      1000       1000          1\n", 1000u, false, 1000u)]
    [TestCase("         0     100000      65536\n", 42u, false, 100042u)]
    [TestCase("         0       1000          1\n", 5u, false, 5u)] // unmapped: as it is
    [TestCase("garbage\n", 7u, false, 7u)]
    public void A_uid_map_says_whether_this_is_the_host_and_who_a_uid_is_outside(string map, uint uid, bool initial, uint outside) =>
        Assert.That(UserMap.Parse(map, uid), Is.EqualTo((initial, outside)));
}
