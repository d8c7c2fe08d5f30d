namespace NetnsFs.Fuse.Abi;

/// <summary>Numbers fixed by linux/fuse.h that are not flags.</summary>
public static class FuseConstants
{
    public const uint KernelMajor = 7;

    /// <summary>The minor version we implement: the layouts of this machine's linux/fuse.h (7.38).
    /// The kernel (7.45 here) speaks down to whatever we answer.</summary>
    public const uint KernelMinor = 38;

    public const ulong RootId = 1;

    /// <summary>The kernel refuses reads of /dev/fuse into smaller buffers.</summary>
    public const int MinReadBuffer = 8192;

    /// <summary>Pages per request we ask for: 256 pages = 1 MiB writes and reads.</summary>
    public const ushort MaxPages = 256;

    public const int PageSize = 4096;

    /// <summary>Bit set in the unique id of an INTERRUPT request (FUSE_INT_REQ_BIT).</summary>
    public const ulong InterruptRequestBit = 1;

    /// <summary>Offset of the name in struct fuse_dirent.</summary>
    public const int DirentNameOffset = 24;
}

/// <summary>FUSE_* capability flags of fuse_init_in/out (the low 32 bits; the high half goes in flags2).</summary>
[Flags]
public enum InitFlags : ulong
{
    None = 0,
    AsyncRead = 1UL << 0,
    PosixLocks = 1UL << 1,
    FileOps = 1UL << 2,
    AtomicOTrunc = 1UL << 3,
    ExportSupport = 1UL << 4,
    BigWrites = 1UL << 5,
    DontMask = 1UL << 6,
    SpliceWrite = 1UL << 7,
    SpliceMove = 1UL << 8,
    SpliceRead = 1UL << 9,
    FlockLocks = 1UL << 10,
    HasIoctlDir = 1UL << 11,
    AutoInvalData = 1UL << 12,
    DoReaddirplus = 1UL << 13,
    ReaddirplusAuto = 1UL << 14,
    AsyncDio = 1UL << 15,
    WritebackCache = 1UL << 16,
    NoOpenSupport = 1UL << 17,
    ParallelDirops = 1UL << 18,
    HandleKillpriv = 1UL << 19,
    PosixAcl = 1UL << 20,
    AbortError = 1UL << 21,
    MaxPages = 1UL << 22,
    CacheSymlinks = 1UL << 23,
    NoOpendirSupport = 1UL << 24,
    ExplicitInvalData = 1UL << 25,
    MapAlignment = 1UL << 26,
    Submounts = 1UL << 27,
    HandleKillprivV2 = 1UL << 28,
    SetxattrExt = 1UL << 29,
    InitExt = 1UL << 30,
    InitReserved = 1UL << 31,
    SecurityCtx = 1UL << 32,
    HasInodeDax = 1UL << 33,
    CreateSuppGroup = 1UL << 34,
    HasExpireOnly = 1UL << 35,
    DirectIoAllowMmap = 1UL << 36,
    Passthrough = 1UL << 37,
    NoExportSupport = 1UL << 38,
    HasResend = 1UL << 39,
    AllowIdmap = 1UL << 40,
    OverIoUring = 1UL << 41,
    RequestTimeout = 1UL << 42,
}

/// <summary>FOPEN_* flags of fuse_open_out.</summary>
[Flags]
public enum OpenReplyFlags : uint
{
    None = 0,
    DirectIo = 1 << 0,
    KeepCache = 1 << 1,
    NonSeekable = 1 << 2,
    CacheDir = 1 << 3,
    Stream = 1 << 4,
    NoFlush = 1 << 5,
    ParallelDirectWrites = 1 << 6,

    /// <summary>What a socket-like file needs: no page cache, no positions, no file-position lock,
    /// writes on one inode in parallel, and no FLUSH round trip on each close(2): such a file has
    /// nothing to write back, and its RELEASE (sent without waiting) is what ends it.</summary>
    StreamFile = DirectIo | NonSeekable | Stream | ParallelDirectWrites | NoFlush,
}

/// <summary>FATTR_* bits: which fields of fuse_setattr_in are set.</summary>
[Flags]
public enum SetAttrValid : uint
{
    Mode = 1 << 0,
    Uid = 1 << 1,
    Gid = 1 << 2,
    Size = 1 << 3,
    ATime = 1 << 4,
    MTime = 1 << 5,
    Fh = 1 << 6,
    ATimeNow = 1 << 7,
    MTimeNow = 1 << 8,
    LockOwner = 1 << 9,
    CTime = 1 << 10,
    KillSuidGid = 1 << 11,
}
