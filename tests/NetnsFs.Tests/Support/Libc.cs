using System.Runtime.InteropServices;

namespace NetnsFs.Tests.Support;

/// <summary>The few syscalls the end-to-end tests make themselves, declared once. (The FUSE-layer
/// tests keep their raw reads and writes in Fuse/TestLibc.)</summary>
internal static partial class Libc
{
    private const string Name = "libc";

    /// <summary>SIOCGSKNS: an fd of the network namespace a socket belongs to.</summary>
    public const ulong SIOCGSKNS = 0x894C;

    [LibraryImport(Name, SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, nint arg);

    [LibraryImport(Name, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Name)]
    public static partial uint geteuid();
}
