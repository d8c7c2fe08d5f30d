using System.Runtime.InteropServices;

namespace NetnsFs.Net.Native;

/// <summary>The credential system calls, made raw: glibc's setresuid, setresgid and setgroups
/// change every thread of the process (they signal each thread to repeat the call), while the
/// kernel's calls change only the calling thread, which is what acting for one caller on one
/// thread needs. Numbers per architecture (asm/unistd.h).</summary>
internal static unsafe partial class CredentialLibc
{
    private static readonly bool Arm64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    private static readonly nint SysSetgroups = Arm64 ? 159 : 116;
    private static readonly nint SysSetresuid = Arm64 ? 147 : 117;
    private static readonly nint SysSetresgid = Arm64 ? 149 : 119;
    private static readonly nint SysCapget = Arm64 ? 90 : 125;
    private static readonly nint SysCapset = Arm64 ? 91 : 126;
    private static readonly nint SysPidfdOpen = 434;
    private static readonly nint SysPidfdSendSignal = 424;

    /// <summary>_LINUX_CAPABILITY_VERSION_3: two 32-bit words per set.</summary>
    public const uint CapabilityVersion3 = 0x20080522;

    public const uint PidfdThread = 0x80; // O_EXCL: a pidfd for one thread (Linux 6.9)

    [StructLayout(LayoutKind.Sequential)]
    public struct CapHeader
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CapData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall3(nint number, nint a, nint b, nint c);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall4(nint number, nint a, nint b, nint c, nint d);

    /// <summary>-1 leaves an id as it is (the kernel's (uid_t)-1).</summary>
    public static int SetResUid(uint real, uint effective, uint saved) =>
        (int)Syscall3(SysSetresuid, (nint)real, (nint)effective, (nint)saved);

    public static int SetResGid(uint real, uint effective, uint saved) =>
        (int)Syscall3(SysSetresgid, (nint)real, (nint)effective, (nint)saved);

    public static int SetGroups(ReadOnlySpan<uint> groups)
    {
        fixed (uint* g = groups)
            return (int)Syscall3(SysSetgroups, groups.Length, (nint)g, 0);
    }

    /// <summary>The calling thread's capability sets (pid 0: this thread).</summary>
    public static int CapGet(CapHeader* header, CapData* data) => (int)Syscall3(SysCapget, (nint)header, (nint)data, 0);

    public static int CapSet(CapHeader* header, CapData* data) => (int)Syscall3(SysCapset, (nint)header, (nint)data, 0);

    public static int PidfdOpen(int pid, uint flags) => (int)Syscall3(SysPidfdOpen, pid, (nint)flags, 0);

    public static int PidfdSendSignal(int pidfd, int signal) => (int)Syscall4(SysPidfdSendSignal, pidfd, signal, 0, 0);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getgroups(int size, uint* list);

    [LibraryImport("libc")]
    public static partial uint geteuid();
}
