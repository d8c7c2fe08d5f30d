using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

/// <summary>The credential system calls, made raw: glibc's setresuid, setresgid and setgroups
/// change every thread of the process (they signal each thread to repeat the call), while the
/// kernel's calls change only the calling thread, which is what acting for one caller on one
/// thread needs. Their numbers differ between x86-64 and arm64 (arch/x86/entry/syscalls/
/// syscall_64.tbl, asm-generic/unistd.h); both are here, as the calls need no layout.</summary>
internal static unsafe partial class Libc
{
    private static readonly bool Arm64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    private static readonly nint SYS_setgroups = Arm64 ? 159 : 116;
    private static readonly nint SYS_setresuid = Arm64 ? 147 : 117;
    private static readonly nint SYS_setresgid = Arm64 ? 149 : 119;
    private static readonly nint SYS_capget = Arm64 ? 90 : 125;
    private static readonly nint SYS_capset = Arm64 ? 91 : 126;

    /// <summary>_LINUX_CAPABILITY_VERSION_3: two 32-bit words per set.</summary>
    internal const uint _LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    /// <summary>uint.MaxValue leaves an id as it is (the kernel's (uid_t)-1).</summary>
    internal static int SetResUid(uint real, uint effective, uint saved) =>
        (int)Syscall(SYS_setresuid, (nint)real, (nint)effective, (nint)saved);

    internal static int SetResGid(uint real, uint effective, uint saved) =>
        (int)Syscall(SYS_setresgid, (nint)real, (nint)effective, (nint)saved);

    internal static int SetGroups(ReadOnlySpan<uint> groups)
    {
        fixed (uint* g = groups)
            return (int)Syscall(SYS_setgroups, groups.Length, (nint)g);
    }

    /// <summary>The calling thread's capability sets (pid 0: this thread).</summary>
    internal static int CapGet(CapHeader* header, CapData* data) => (int)Syscall(SYS_capget, (nint)header, (nint)data);

    internal static int CapSet(CapHeader* header, CapData* data) => (int)Syscall(SYS_capset, (nint)header, (nint)data);

    /// <summary>_LINUX_CAPABILITY_VERSION_3 header of capget/capset.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct CapHeader
    {
        public uint Version;
        public int Pid;
    }

    /// <summary>One 32-bit word of each capability set (version 3 takes two).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct CapData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }
}
