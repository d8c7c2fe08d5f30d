using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli.Runner;

/// <summary>The classic-BPF program `netnsfs run` installs: x86-64 open, openat and creat (and, with
/// --net, socket for AF_INET, AF_INET6 and NETLINK_ROUTE/NETLINK_SOCK_DIAG) go to the supervisor;
/// everything else, x32 and i386 calls included, is allowed untouched. A filter cannot read the
/// path a pointer names, so every open traps and the supervisor answers "continue" for paths that
/// are not netnsfs socket paths. openat2 and io_uring are not trapped: they reach the kernel,
/// which opens the FUSE socket file, as without `run`.</summary>
internal static class SeccompFilter
{
    private const ushort LdAbsW = 0x20;  // BPF_LD | BPF_W | BPF_ABS
    private const ushort JeqK = 0x15;    // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort JgeK = 0x35;    // BPF_JMP | BPF_JGE | BPF_K
    private const ushort RetK = 0x06;    // BPF_RET | BPF_K

    // Offsets in struct seccomp_data: nr, arch, then args[6] of 8 bytes (the low half first).
    private const uint NrOffset = 0;
    private const uint ArchOffset = 4;
    private const uint Arg0Offset = 16;
    private const uint Arg2Offset = 32;

    /// <summary>NETLINK_ROUTE and NETLINK_SOCK_DIAG: what `ip` and `ss` read.</summary>
    public static readonly int[] NetlinkProtocols = [0, 4];

    /// <summary>The instructions; the last two are "allow" and "notify", which every jump targets.</summary>
    public static SockFilter[] Build(bool trapSockets)
    {
        var code = new List<(ushort Code, uint K, string? IfTrue, string? IfFalse)>
        {
            (LdAbsW, ArchOffset, null, null),
            (JeqK, AUDIT_ARCH_X86_64, null, "allow"),
            (LdAbsW, NrOffset, null, null),
            (JgeK, X32_SYSCALL_BIT, "allow", null),
            (JeqK, SYS_open, "notify", null),
            (JeqK, SYS_openat, "notify", null),
            (JeqK, SYS_creat, "notify", null),
        };
        if (trapSockets)
        {
            code.Add((JeqK, SYS_socket, null, "allow"));
            code.Add((LdAbsW, Arg0Offset, null, null));
            code.Add((JeqK, 2, "notify", null));  // AF_INET
            code.Add((JeqK, 10, "notify", null)); // AF_INET6
            code.Add((JeqK, 16, null, "allow"));  // AF_NETLINK
            code.Add((LdAbsW, Arg2Offset, null, null));
            foreach (int p in NetlinkProtocols)
                code.Add((JeqK, (uint)p, "notify", null));
        }
        int allow = code.Count;
        int notify = allow + 1;
        var program = new SockFilter[code.Count + 2];
        for (int i = 0; i < code.Count; i++)
        {
            var (op, k, t, f) = code[i];
            program[i] = new SockFilter { Code = op, K = k, Jt = Jump(t, i), Jf = Jump(f, i) };
        }
        program[allow] = new SockFilter { Code = RetK, K = SECCOMP_RET_ALLOW };
        program[notify] = new SockFilter { Code = RetK, K = SECCOMP_RET_USER_NOTIF };
        return program;

        byte Jump(string? label, int at) => label switch
        {
            null => 0,
            "allow" => (byte)(allow - at - 1),
            _ => (byte)(notify - at - 1),
        };
    }
}
