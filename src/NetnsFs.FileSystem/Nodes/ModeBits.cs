namespace NetnsFs.FileSystem.Nodes;

/// <summary>Permission bits by name. C# has no octal literals: these are written in binary, one
/// group of three bits for owner, group and others, so that each reads as rwx (0b110_100_100 is
/// rw-r--r--, 0644).</summary>
public static class ModeBits
{
    /// <summary>0777, rwxrwxrwx: what a symbolic link reports.</summary>
    public const uint All = 0b111_111_111;

    /// <summary>0755, rwxr-xr-x: the default mount root and directories.</summary>
    public const uint DirectoryDefault = 0b111_101_101;

    /// <summary>0666, rw-rw-rw-: the widest a socket file (or the handoff socket) may be.</summary>
    public const uint ReadWrite = 0b110_110_110;

    /// <summary>0444, r--r--r--: read-only text files (status, net/*, conn/N/*).</summary>
    public const uint ReadOnly = 0b100_100_100;

    /// <summary>0622, rw--w--w-: conn/N/ctl, written by whoever may write the mount's files.</summary>
    public const uint Control = 0b110_010_010;

    /// <summary>0600, rw-------: the owner's alone.</summary>
    public const uint OwnerReadWrite = 0b110_000_000;
}
