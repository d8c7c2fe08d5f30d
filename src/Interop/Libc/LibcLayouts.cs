using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

/// <summary>Where the struct layouts of src/Interop and src/NetnsFs.Fuse/Abi hold: Linux x86-64.
/// Most are the same on arm64, but not all (struct epoll_event is packed on x86-64 alone), and no
/// test checks arm64's, so the daemon refuses to start anywhere else rather than pass the kernel
/// a wrong layout.</summary>
internal static class LibcLayouts
{
    /// <summary>The architectures whose layouts these are (the one the layout tests run on).</summary>
    public static bool HoldFor(Architecture architecture) => architecture == Architecture.X64;

    /// <summary>Null where the layouts hold for this process; else the one line to refuse with.</summary>
    public static string? RefusalForThisProcess() =>
        HoldFor(RuntimeInformation.ProcessArchitecture)
            ? null
            : $"this is {RuntimeInformation.ProcessArchitecture}; netnsfs's libc and FUSE struct layouts are x86-64's only (src/Interop/Libc/LibcLayouts.cs): not starting";
}
