using NetnsFs.Fuse.Abi;

namespace NetnsFs.Fuse.Session;

/// <summary>What INIT settled between the kernel and us.</summary>
public sealed record FuseConnectionInfo(
    uint KernelMajor,
    uint KernelMinor,
    InitFlags KernelFlags,
    InitFlags AgreedFlags,
    uint MaxWrite,
    uint MaxReadahead,
    ushort MaxPages);
