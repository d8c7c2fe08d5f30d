using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

/// <summary>Signals to one thread.</summary>
internal static unsafe partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int sigaction(int signum, SigAction* act, SigAction* oldact);

    [LibraryImport(Library)]
    internal static partial nint pthread_self();

    [LibraryImport(Library)]
    internal static partial int pthread_kill(nint thread, int sig);

    /// <summary>SIGRTMIN as glibc has it now (it keeps the first real-time signals for itself).</summary>
    [LibraryImport(Library)]
    internal static partial int __libc_current_sigrtmin();

    /// <summary>glibc's struct sigaction: handler, 1024-bit mask, flags, restorer. The generic layout,
    /// which x86-64 uses (and arm64 too, though the daemon runs only on x86-64: LibcLayouts).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SigAction
    {
        public nint Handler;
        public fixed ulong Mask[16];
        public int Flags;
        public nint Restorer;
    }
}
