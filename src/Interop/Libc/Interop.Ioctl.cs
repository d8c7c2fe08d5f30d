using System.Runtime.InteropServices;

namespace NetnsFs.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(Library, SetLastError = true)]
    internal static partial int ioctl(int fd, nuint request, void* arg);

    /// <summary>_IO(0xb7, 0x3) on an nsfs fd: its CLONE_NEW* type (linux/nsfs.h).</summary>
    internal const nuint NS_GET_NSTYPE = 0xb703;

    /// <summary>_IO(0xb7, 0x1): an fd of the user namespace that owns a namespace (EPERM when that
    /// one is outside the caller's, an ancestor of its own).</summary>
    internal const nuint NS_GET_USERNS = 0xb701;

    /// <summary>_IO(0xb7, 0x2): an fd of a user namespace's parent (EPERM outside the caller's scope).</summary>
    internal const nuint NS_GET_PARENT = 0xb702;

    /// <summary>_IO(0xb7, 0x4): the uid that owns a user namespace, into a uid_t.</summary>
    internal const nuint NS_GET_OWNER_UID = 0xb704;

    /// <summary>An interface's flags, by struct ifreq (linux/sockios.h).</summary>
    internal const nuint SIOCGIFFLAGS = 0x8913;
    internal const nuint SIOCSIFFLAGS = 0x8914;

    /// <summary>ifr_flags: the interface is up (linux/if.h).</summary>
    internal const short IFF_UP = 1;
}
