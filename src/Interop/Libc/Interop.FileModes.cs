namespace NetnsFs.Interop;

/// <summary>st_mode's file type, and the single permission bits checked one by one (sys/stat.h).
/// The modes netnsfs gives files are named in NetnsFs.FileSystem.Nodes.ModeBits.</summary>
internal static partial class Libc
{
    internal const uint S_IFMT = 0xF000;
    internal const uint S_IFSOCK = 0xC000;
    internal const uint S_IFLNK = 0xA000;
    internal const uint S_IFREG = 0x8000;
    internal const uint S_IFDIR = 0x4000;

    internal const uint S_IXUSR = 0b001_000_000;
    internal const uint S_IWGRP = 0b000_010_000;
    internal const uint S_IWOTH = 0b000_000_010;
}
