using System.Runtime.InteropServices;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Fuse.Native;

/// <summary>Ends one thread's blocking system call (a read(2) of /dev/fuse) with EINTR, the way
/// libfuse ends its workers: by a signal sent to that thread alone, whose handler does nothing and
/// which is installed without SA_RESTART, so the kernel returns EINTR instead of restarting the read.
/// Closing the device could not do it: a read in progress holds its own reference to the file.
///
/// The handler must be native code that does nothing: the signal may land while the thread runs
/// managed code, where a managed (UnmanagedCallersOnly) handler may not run. libc's getpid is such a
/// function (async-signal-safe, no effect, its argument ignored). The signal is a real-time one well
/// above SIGRTMIN, which the .NET runtime uses to reach its threads.</summary>
internal static unsafe class ThreadInterrupter
{
    private static readonly Lock InstallLock = new();
    private static int _signal;

    /// <summary>The calling thread's pthread_t, for <see cref="Interrupt"/>.</summary>
    public static nint CurrentThread() => pthread_self();

    /// <summary>Interrupts the blocking call <paramref name="thread"/> is in, if any; a thread not in
    /// one is not disturbed (the caller must repeat until the thread has seen its stop flag).</summary>
    public static void Interrupt(nint thread) => pthread_kill(thread, Install());

    /// <summary>Installs the handler (once); call early, so that a failure shows at start, not at stop.</summary>
    public static int Install()
    {
        lock (InstallLock)
        {
            if (_signal != 0)
                return _signal;
            int signal = __libc_current_sigrtmin() + 6;
            var action = new SigAction
            {
                Handler = NativeLibrary.GetExport(NativeLibrary.GetMainProgramHandle(), "getpid"), // libc's, whichever libc
                Flags = 0, // no SA_RESTART: the interrupted read returns EINTR
            };
            if (sigaction(signal, &action, null) != 0)
                throw new IOException("sigaction failed: " + Marshal.GetLastPInvokeError());
            _signal = signal;
            return signal;
        }
    }
}
