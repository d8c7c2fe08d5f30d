using System.Diagnostics;
using System.Runtime.InteropServices;
using NetnsFs.Interop;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Fuse.Mounting;

/// <summary>Makes and removes FUSE mounts: mount(2) on an fd of /dev/fuse when we may (root),
/// fusermount3 with _FUSE_COMMFD otherwise, as libfuse does.</summary>
public static unsafe class FuseMounter
{
    public static bool IsPrivileged => geteuid() == 0;

    /// <summary>Opens /dev/fuse and mounts it on <paramref name="mountpoint"/>; returns the device fd
    /// (close-on-exec). Throws <see cref="FuseMountException"/> with the reason.</summary>
    public static int Mount(string mountpoint, FuseMountOptions options)
    {
        return IsPrivileged ? MountDirect(mountpoint, options) : MountWithFusermount(mountpoint, options);
    }

    /// <summary>Opens /dev/fuse without mounting it (for a caller that mounts in another process).</summary>
    public static int OpenDevice()
    {
        int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
        if (fd < 0)
            throw new FuseMountException((Errno)Marshal.GetLastPInvokeError(), "cannot open /dev/fuse");
        return fd;
    }

    /// <summary>mount(2) of an already open /dev/fuse <paramref name="fd"/>.</summary>
    public static void MountFd(int fd, string mountpoint, FuseMountOptions options)
    {
        string type = options.Subtype is null ? "fuse" : "fuse." + options.Subtype;
        nuint flags = (options.NoSuid ? MS_NOSUID : 0) | (options.NoDev ? MS_NODEV : 0) | (options.NoExec ? MS_NOEXEC : 0);
        if (mount(options.Source, mountpoint, type, flags, options.KernelData(fd)) != 0)
        {
            var errno = (Errno)Marshal.GetLastPInvokeError();
            throw new FuseMountException(errno, $"mount {mountpoint}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage((int)errno)}");
        }
    }

    private static int MountDirect(string mountpoint, FuseMountOptions options)
    {
        int fd = OpenDevice();
        try
        {
            MountFd(fd, mountpoint, options);
            return fd;
        }
        catch
        {
            close(fd);
            throw;
        }
    }

    private static int MountWithFusermount(string mountpoint, FuseMountOptions options)
    {
        int* sv = stackalloc int[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
            throw new FuseMountException((Errno)Marshal.GetLastPInvokeError(), "socketpair failed");
        fcntl(sv[1], F_SETFD, FD_CLOEXEC); // our end stays ours; sv[0] is inherited by fusermount3
        try
        {
            var psi = new ProcessStartInfo(FusermountPath)
            {
                UseShellExecute = false,
                RedirectStandardError = true,
            };
            psi.ArgumentList.Add("-o");
            psi.ArgumentList.Add(options.FusermountOptions());
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(mountpoint);
            psi.Environment["_FUSE_COMMFD"] = sv[0].ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var proc = Process.Start(psi) ?? throw new FuseMountException(Errno.ENOENT, "cannot start fusermount3");
            close(sv[0]);
            sv[0] = -1;
            int fd = ReceiveFd(sv[1]);
            string err = proc.StandardError.ReadToEnd();
            proc.WaitForExit();
            if (fd < 0)
                throw new FuseMountException(Errno.EPERM, $"fusermount3 failed: {err.Trim()}");
            fcntl(fd, F_SETFD, FD_CLOEXEC);
            return fd;
        }
        finally
        {
            if (sv[0] >= 0)
                close(sv[0]);
            close(sv[1]);
        }
    }

    /// <summary>fusermount3 where Debian and others put it; throws if none is there.</summary>
    public static string FusermountPath => FindFusermount();

    private static string FindFusermount()
    {
        foreach (var dir in new[] { "/usr/bin", "/bin", "/usr/local/bin" })
        {
            string path = Path.Combine(dir, "fusermount3");
            if (File.Exists(path))
                return path;
        }
        throw new FuseMountException(Errno.ENOENT, "fusermount3 not found (install the fuse3 package)");
    }

    /// <summary>Receives the /dev/fuse fd fusermount3 sends with SCM_RIGHTS; -1 if none came.</summary>
    private static int ReceiveFd(int socket)
    {
        byte data;
        IoVec iov = new() { Base = &data, Len = 1 };
        int controlLength = sizeof(CmsgHdr) + 8;
        byte* control = stackalloc byte[controlLength];
        MsgHdr msg = new() { Iov = &iov, IovLen = 1, Control = control, ControlLen = controlLength };
        nint n;
        do
        {
            n = recvmsg(socket, &msg, 0);
        } while (n < 0 && Marshal.GetLastPInvokeError() == (int)Errno.EINTR);
        if (n <= 0 || msg.ControlLen < sizeof(CmsgHdr) + sizeof(int))
            return -1;
        var cmsg = (CmsgHdr*)control;
        if (cmsg->Level != SOL_SOCKET || cmsg->Type != SCM_RIGHTS)
            return -1;
        return *(int*)(control + sizeof(CmsgHdr));
    }

    /// <summary>Unmounts: umount2 when privileged (lazily if asked), fusermount3 -u otherwise.
    /// Returns 0 or the errno.</summary>
    public static Errno Unmount(string mountpoint, bool lazy)
    {
        if (IsPrivileged)
            return umount2(mountpoint, lazy ? MNT_DETACH : 0) == 0 ? 0 : (Errno)Marshal.GetLastPInvokeError();
        var psi = new ProcessStartInfo(FusermountPath) { UseShellExecute = false, RedirectStandardError = true };
        psi.ArgumentList.Add(lazy ? "-uz" : "-u");
        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add(mountpoint);
        using var proc = Process.Start(psi);
        if (proc is null)
            return Errno.ENOENT;
        proc.StandardError.ReadToEnd();
        proc.WaitForExit();
        return proc.ExitCode == 0 ? 0 : Errno.EPERM;
    }
}

/// <summary>A mount that could not be made, with the errno and a message for the user.</summary>
public sealed class FuseMountException(Errno errno, string message) : Exception(message)
{
    public Errno Errno { get; } = errno;
}
