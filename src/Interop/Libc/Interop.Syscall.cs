using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

/// <summary>syscall(2), for the calls glibc has no wrapper for (openat2, pidfd_*) or wraps with
/// other semantics (setresuid and friends: Interop.Credentials.cs). One declaration with room for
/// five arguments: pass 0 for those a call does not take (glibc's syscall reads registers; an
/// unused one is ignored by the kernel).</summary>
internal static partial class Libc
{
    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    private static partial nint syscall(nint number, nint a, nint b, nint c, nint d, nint e);

    internal static nint Syscall(nint number, nint a = 0, nint b = 0, nint c = 0, nint d = 0, nint e = 0) =>
        syscall(number, a, b, c, d, e);

    /// <summary>Numbers from 424 on are one table for every architecture (asm-generic/unistd.h).</summary>
    internal const nint SYS_pidfd_send_signal = 424;
    internal const nint SYS_pidfd_open = 434;
    internal const nint SYS_openat2 = 437;
}
