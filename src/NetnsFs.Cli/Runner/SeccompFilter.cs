using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli.Runner;

/// <summary>The classic-BPF program `netnsfs run` installs: x86-64 open, openat and creat (and, with
/// --net, socket for AF_INET, AF_INET6 and NETLINK_ROUTE/NETLINK_SOCK_DIAG) go to the supervisor;
/// everything else, x32 and i386 calls included, is allowed untouched. A filter cannot read the
/// path a pointer names, so every open for writing traps and the supervisor answers "continue"
/// for paths that are not netnsfs socket paths. openat2 and io_uring are not trapped: they reach the kernel,
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

    /// <summary>Access-mode and creation bits of open flags: O_WRONLY | O_RDWR | O_CREAT.</summary>
    public const uint WritingOrCreating = 0x43;

    private const ushort JsetK = 0x45;   // BPF_JMP | BPF_JSET | BPF_K
    private const uint Arg1Offset = 24;

    /// <summary>The instructions. Jumps name labels ("allow", "notify" and the flag checks), resolved
    /// in a second pass. Opens for reading only (O_RDONLY without O_CREAT: a program's libraries,
    /// configuration and data) are allowed at once: a socket is opened for writing, and a socket
    /// path opened read-only simply stays the FUSE file (`cat DIR/tcp/HOST/PORT` works as without
    /// run). That keeps the start-up cost of programs that open many files small
    /// (bench/results/run-cost.md).</summary>
    public static SockFilter[] Build(bool trapSockets)
    {
        var code = new List<(string? Label, ushort Code, uint K, string? IfTrue, string? IfFalse)>
        {
            (null, LdAbsW, ArchOffset, null, null),
            (null, JeqK, AUDIT_ARCH_X86_64, null, "allow"),
            (null, LdAbsW, NrOffset, null, null),
            (null, JgeK, X32_SYSCALL_BIT, "allow", null),
            (null, JeqK, SYS_open, "open", null),
            (null, JeqK, SYS_openat, "openat", null),
            (null, JeqK, SYS_creat, "notify", null),
            trapSockets ? (null, JeqK, SYS_socket, "socket", "allow") : (null, RetK, SECCOMP_RET_ALLOW, null, null),
            ("open", LdAbsW, Arg1Offset, null, null),
            (null, JsetK, WritingOrCreating, "notify", "allow"),
            ("openat", LdAbsW, Arg2Offset, null, null),
            (null, JsetK, WritingOrCreating, "notify", "allow"),
        };
        if (trapSockets)
        {
            code.Add(("socket", LdAbsW, Arg0Offset, null, null));
            code.Add((null, JeqK, 2, "notify", null));  // AF_INET
            code.Add((null, JeqK, 10, "notify", null)); // AF_INET6
            code.Add((null, JeqK, 16, null, "allow"));  // AF_NETLINK
            code.Add((null, LdAbsW, Arg2Offset, null, null));
            foreach (int p in NetlinkProtocols)
                code.Add((null, JeqK, (uint)p, "notify", null));
        }
        code.Add(("allow", RetK, SECCOMP_RET_ALLOW, null, null));
        code.Add(("notify", RetK, SECCOMP_RET_USER_NOTIF, null, null));

        var at = new Dictionary<string, int>();
        for (int i = 0; i < code.Count; i++)
        {
            if (code[i].Label is { } label)
                at[label] = i;
        }
        var program = new SockFilter[code.Count];
        for (int i = 0; i < code.Count; i++)
        {
            var (_, op, k, t, f) = code[i];
            program[i] = new SockFilter { Code = op, K = k, Jt = Jump(t, i), Jf = Jump(f, i) };
        }
        return program;

        // Classic BPF jumps only forward, by an offset from the next instruction.
        byte Jump(string? label, int from) => label is null ? (byte)0 : checked((byte)(at[label] - from - 1));
    }
}
