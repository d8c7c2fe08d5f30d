namespace NetnsFs.Interop;

/// <summary>NETLINK_SOCK_DIAG for unix sockets (linux/netlink.h, linux/sock_diag.h,
/// linux/unix_diag.h): which file a unix socket is bound to.</summary>
internal static partial class Libc
{
    internal const int NETLINK_SOCK_DIAG = 4;
    internal const ushort NLM_F_REQUEST = 1;
    internal const ushort SOCK_DIAG_BY_FAMILY = 20;
    internal const uint UDIAG_SHOW_VFS = 2;
    internal const ushort UNIX_DIAG_VFS = 1;
}
