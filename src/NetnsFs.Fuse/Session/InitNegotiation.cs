using NetnsFs.Fuse.Abi;

namespace NetnsFs.Fuse.Session;

/// <summary>Decides the INIT reply from what the kernel offered. Kept apart from the loop so the
/// decision can be tested without a mount.</summary>
public static class InitNegotiation
{
    /// <summary>What we ask for when offered: async reads, big writes up to max_pages, parallel
    /// lookups and readdir, and the extended flags word.</summary>
    public const InitFlags Wanted =
        InitFlags.AsyncRead | InitFlags.BigWrites | InitFlags.MaxPages | InitFlags.ParallelDirops |
        InitFlags.InitExt | InitFlags.AtomicOTrunc | InitFlags.AsyncDio;

    public static FuseInitOut Negotiate(in FuseInitIn init, uint maxWrite, out FuseConnectionInfo info)
    {
        InitFlags offered = (InitFlags)init.Flags;
        if ((offered & InitFlags.InitExt) != 0)
            offered |= (InitFlags)((ulong)init.Flags2 << 32);
        InitFlags agreed = offered & Wanted;
        ushort maxPages = (agreed & InitFlags.MaxPages) != 0 ? FuseConstants.MaxPages : (ushort)32;
        uint write = Math.Min(maxWrite, (uint)maxPages * FuseConstants.PageSize);
        var reply = new FuseInitOut
        {
            Major = FuseConstants.KernelMajor,
            Minor = Math.Min(FuseConstants.KernelMinor, init.Minor),
            MaxReadahead = init.MaxReadahead,
            Flags = (uint)((ulong)agreed & 0xFFFF_FFFF),
            Flags2 = (uint)((ulong)agreed >> 32),
            MaxBackground = 64,
            CongestionThreshold = 48,
            MaxWrite = write,
            TimeGran = 1,
            MaxPages = maxPages,
        };
        info = new FuseConnectionInfo(init.Major, init.Minor, offered, agreed, write, init.MaxReadahead, maxPages);
        return reply;
    }
}
