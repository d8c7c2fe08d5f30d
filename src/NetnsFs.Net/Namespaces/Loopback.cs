using static NetnsFs.Interop.Libc;

namespace NetnsFs.Net.Namespaces;

/// <summary>Brings `lo` up in the calling thread's namespace, as `ip link set lo up` does:
/// SIOCGIFFLAGS, set IFF_UP, SIOCSIFFLAGS.</summary>
internal static unsafe class Loopback
{
    public static void BringUp()
    {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            throw NetException.FromLastError("socket for SIOCSIFFLAGS");
        try
        {
            byte* ifr = stackalloc byte[40]; // struct ifreq: name[16], then the flags union
            new Span<byte>(ifr, 40).Clear();
            "lo"u8.CopyTo(new Span<byte>(ifr, 16));
            if (ioctl(fd, SIOCGIFFLAGS, ifr) != 0)
                throw NetException.FromLastError("SIOCGIFFLAGS lo");
            *(short*)(ifr + 16) |= IFF_UP;
            if (ioctl(fd, SIOCSIFFLAGS, ifr) != 0)
                throw NetException.FromLastError("SIOCSIFFLAGS lo");
        }
        finally
        {
            close(fd);
        }
    }
}
