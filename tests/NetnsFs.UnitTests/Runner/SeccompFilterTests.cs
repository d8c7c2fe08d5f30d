using NetnsFs.Cli.Runner;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Runner;

/// <summary>The filter, run by a small classic-BPF interpreter over seccomp_data: what traps and what
/// goes to the kernel untouched. (The kernel runs the same program in RunTests, end to end.)</summary>
public sealed class SeccompFilterTests
{
    private const uint Allow = 0x7fff0000, Notify = 0x7fc00000, X8664 = 0xc000003e, I386 = 0x40000003;

    private static uint Verdict(bool sockets, uint arch, int nr, params ulong[] args)
    {
        var data = new byte[64];
        BitConverter.TryWriteBytes(data.AsSpan(0), nr);
        BitConverter.TryWriteBytes(data.AsSpan(4), arch);
        for (int i = 0; i < args.Length; i++)
            BitConverter.TryWriteBytes(data.AsSpan(16 + (8 * i)), args[i]);
        var program = SeccompFilter.Build(sockets);
        uint a = 0;
        for (int pc = 0; pc < program.Length; pc++)
        {
            var f = program[pc];
            switch (f.Code)
            {
                case 0x20: a = BitConverter.ToUInt32(data, (int)f.K); break;
                case 0x15: pc += a == f.K ? f.Jt : f.Jf; break;
                case 0x35: pc += a >= f.K ? f.Jt : f.Jf; break;
                case 0x45: pc += (a & f.K) != 0 ? f.Jt : f.Jf; break;
                case 0x06: return f.K;
                default: Assert.Fail($"unknown instruction {f.Code:x}"); break;
            }
        }
        Assert.Fail("ran off the end");
        return 0;
    }

    [Test]
    public void Opens_for_writing_trap_and_opens_for_reading_do_not()
    {
        Assert.That(Verdict(false, X8664, 257, unchecked((ulong)-100), 0, 2), Is.EqualTo(Notify), "openat O_RDWR");
        Assert.That(Verdict(false, X8664, 257, unchecked((ulong)-100), 0, 0x80000), Is.EqualTo(Allow), "openat O_RDONLY|O_CLOEXEC");
        Assert.That(Verdict(false, X8664, 257, 3, 0, 0x40), Is.EqualTo(Notify), "openat O_CREAT");
        Assert.That(Verdict(false, X8664, 2, 0, 1), Is.EqualTo(Notify), "open O_WRONLY");
        Assert.That(Verdict(false, X8664, 2, 0, 0), Is.EqualTo(Allow), "open O_RDONLY");
        Assert.That(Verdict(false, X8664, 85, 0, 0644), Is.EqualTo(Notify), "creat");
        Assert.That(Verdict(false, X8664, 437, unchecked((ulong)-100), 0, 0, 24), Is.EqualTo(Allow), "openat2 is not caught");
        Assert.That(Verdict(false, X8664, 0, 3), Is.EqualTo(Allow), "read");
    }

    [Test]
    public void Foreign_ABIs_go_to_the_kernel_untouched()
    {
        Assert.That(Verdict(true, I386, 5, 0, 2), Is.EqualTo(Allow), "i386 open");
        Assert.That(Verdict(true, X8664, 0x40000000 | 257, 0, 0, 2), Is.EqualTo(Allow), "x32 openat");
    }

    [Test]
    public void With_net_socket_traps_for_inet_inet6_and_netlink_route_and_diag_only()
    {
        Assert.That(Verdict(false, X8664, 41, 2, 1, 0), Is.EqualTo(Allow), "without --net socket(2) is the program's own");
        Assert.That(Verdict(true, X8664, 41, 2, 1, 0), Is.EqualTo(Notify));
        Assert.That(Verdict(true, X8664, 41, 10, 2, 17), Is.EqualTo(Notify));
        Assert.That(Verdict(true, X8664, 41, 16, 3, 0), Is.EqualTo(Notify), "NETLINK_ROUTE");
        Assert.That(Verdict(true, X8664, 41, 16, 3, 4), Is.EqualTo(Notify), "NETLINK_SOCK_DIAG");
        Assert.That(Verdict(true, X8664, 41, 16, 3, 9), Is.EqualTo(Allow), "NETLINK_AUDIT stays the program's");
        Assert.That(Verdict(true, X8664, 41, 1, 1, 0), Is.EqualTo(Allow), "AF_UNIX stays the program's");
        Assert.That(Verdict(true, X8664, 257, 0, 0, 2), Is.EqualTo(Notify), "opens still trap under --net");
    }
}
