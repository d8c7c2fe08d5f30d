using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

/// <summary>seccomp(2) with a user-notification listener (seccomp_unotify(2), linux/seccomp.h),
/// prctl(2) for no_new_privs and the parent-death signal, and process_vm_readv(2) to read a
/// trapped call's path from the target's memory. Layouts are x86-64's (LibcLayouts).</summary>
internal static unsafe partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int prctl(int option, nint arg2, nint arg3, nint arg4, nint arg5);

    [LibraryImport(Library, SetLastError = true)]
    internal static partial int getppid();

    [LibraryImport(Library, SetLastError = true)]
    internal static partial nint process_vm_readv(int pid, IoVec* local, nuint liovcnt, IoVec* remote, nuint riovcnt, nuint flags);

    internal const int PR_CAP_AMBIENT = 47;
    internal const int PR_CAP_AMBIENT_CLEAR_ALL = 4;
    internal const int PR_SET_PDEATHSIG = 1;
    internal const int PR_SET_NO_NEW_PRIVS = 38;

    internal const nint SYS_seccomp = 317; // x86-64
    internal const nint SECCOMP_SET_MODE_FILTER = 1;
    internal const nint SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3;
    internal const nint SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1 << 5;

    internal const uint SECCOMP_RET_USER_NOTIF = 0x7fc00000;
    internal const uint SECCOMP_RET_ALLOW = 0x7fff0000;
    internal const uint AUDIT_ARCH_X86_64 = 0xc000003e;

    /// <summary>Syscall numbers of x86-64 that the filter traps; x32 calls have this bit set.</summary>
    internal const int SYS_open = 2;
    internal const int SYS_socket = 41;
    internal const int SYS_creat = 85;
    internal const int SYS_openat = 257;
    internal const uint X32_SYSCALL_BIT = 0x40000000;

    internal const uint SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1;
    internal const uint SECCOMP_ADDFD_FLAG_SEND = 1 << 1;

    internal const nuint SECCOMP_IOCTL_NOTIF_RECV = 0xc0502100;
    internal const nuint SECCOMP_IOCTL_NOTIF_SEND = 0xc0182101;
    internal const nuint SECCOMP_IOCTL_NOTIF_ID_VALID = 0x40082102;
    internal const nuint SECCOMP_IOCTL_NOTIF_ADDFD = 0x40182103;

    /// <summary>struct sock_filter: one classic BPF instruction.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockFilter
    {
        public ushort Code;
        public byte Jt;
        public byte Jf;
        public uint K;
    }

    /// <summary>struct sock_fprog.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockFprog
    {
        public ushort Len;
        public SockFilter* Filter;
    }

    /// <summary>struct seccomp_notif (80 bytes): id, pid (a thread id), flags, then seccomp_data.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SeccompNotif
    {
        public ulong Id;
        public uint Pid;
        public uint Flags;
        public int Nr;
        public uint Arch;
        public ulong InstructionPointer;
        public fixed ulong Args[6];
    }

    /// <summary>struct seccomp_notif_resp (24 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SeccompNotifResp
    {
        public ulong Id;
        public long Val;
        public int Error;
        public uint Flags;
    }

    /// <summary>struct seccomp_notif_addfd (24 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SeccompNotifAddFd
    {
        public ulong Id;
        public uint Flags;
        public uint SrcFd;
        public uint NewFd;
        public uint NewFdFlags;
    }
}
