namespace NetnsFs.Interop;

/// <summary>pidfds: a process (or thread) that cannot be mistaken for one that reuses its pid.</summary>
internal static partial class Libc
{
    /// <summary>pidfd_open flag: a pidfd for one thread, not a thread group (Linux 6.9; O_EXCL).</summary>
    internal const uint PIDFD_THREAD = 0x80;

    /// <summary>pidfd_open(2): the pidfd, or -1 and errno.</summary>
    internal static int PidfdOpen(int pid, uint flags) => (int)Syscall(SYS_pidfd_open, pid, (nint)flags);

    /// <summary>pidfd_send_signal(2) without siginfo or flags; signal 0 only checks that the process still lives.</summary>
    internal static int PidfdSendSignal(int pidfd, int sig) => (int)Syscall(SYS_pidfd_send_signal, pidfd, sig);
}
