using System.Globalization;
using System.Runtime.InteropServices;

namespace NetnsFs.FileSystem.Access;

/// <summary>The capabilities of the process a request came from, so that the root daemon never does
/// for a caller what the caller could not do itself. Read race-free as far as the kernel allows: a
/// pidfd pins the process before /proc/PID/status is read, and is checked again after, so a pid
/// reused in between cannot lend its rights. A caller in another user namespace has no capability
/// over ours.</summary>
public static partial class CallerPrivileges
{
    public const int CapNetBindService = 10;
    public const int CapNetAdmin = 12;
    public const int CapNetRaw = 13;

    private const uint PidfdThread = 0x80; // O_EXCL

    private static readonly string OwnUserNs = UserNsOf("self");

    public static bool Has(int pid, uint uid, int capability)
    {
        if (pid <= 0)
            return uid == 0;
        // The kernel reports the calling thread, which may not lead its thread group: PIDFD_THREAD
        // (Linux 6.9) pins a thread; older kernels take only leaders.
        int pidfd = pidfd_open(pid, PidfdThread);
        if (pidfd < 0)
            pidfd = pidfd_open(pid, 0);
        if (pidfd < 0)
            return false;
        try
        {
            if (UserNsOf(pid.ToString(CultureInfo.InvariantCulture)) != OwnUserNs)
                return false;
            ulong effective = ReadCapEff(pid);
            bool alive = pidfd_send_signal(pidfd, 0, 0, 0) == 0;
            return alive && (effective & (1UL << capability)) != 0;
        }
        finally
        {
            close(pidfd);
        }
    }

    private static ulong ReadCapEff(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                    return ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }

    private static string UserNsOf(string pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/user").LinkTarget ?? "";
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial int syscall2(nint number, int pid, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial int syscall4(nint number, int pidfd, int sig, nint info, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    private static int pidfd_open(int pid, uint flags) => syscall2(434, pid, flags);

    private static int pidfd_send_signal(int pidfd, int sig, nint info, uint flags) => syscall4(424, pidfd, sig, info, flags);
}
