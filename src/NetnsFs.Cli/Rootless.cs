using System.Diagnostics;
using System.Globalization;
using NetnsFs.Fuse.Mounting;
using NetnsFs.Interop;
using NetnsFs.Net.Namespaces;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli;

/// <summary>Mounts of a user without root that need namespaces of their own (-o create, -o multi).
/// Only a holder of CAP_SYS_ADMIN over a network namespace's owning user namespace may enter it, and
/// a process joins or makes a user namespace only while single-threaded, which no .NET process is.
/// So the daemon is started inside a new user namespace by util-linux `unshare --user
/// --map-current-user --keep-caps --net`: the user keeps its uid there (what FUSE, SO_PEERCRED and
/// /proc show of it is the same number inside and out), holds every capability of that namespace
/// (ambient, kept across the exec), and starts in a fresh network namespace owned by it, from which
/// it makes and enters the mount's. The mount is fusermount3's, and the daemon cannot unmount
/// from inside (fusermount3's setuid means nothing there): a keeper outside, started by the
/// launcher, waits for the daemon to be gone, however it went, and then unmounts a mount left dead
/// (<see cref="StartKeeper"/>).</summary>
public static class Rootless
{
    /// <summary>The unshare arguments that give the daemon a user namespace of its own.</summary>
    public static readonly string[] UserNamespace = ["--user", "--map-current-user", "--keep-caps"];

    /// <summary>Whether the daemon makes the mount's namespaces itself, in a network namespace of
    /// its own (unshare --net) from which it can make and enter them: a user without root (inside
    /// a user namespace of its own too), or root of a user namespace that does not own the network
    /// namespace it stands in (`unshare -Urm`), which could leave it but never come back.</summary>
    public static bool DaemonMakesNamespaces(MountOptions o) =>
        (o.Create || o.Multi) && (!FuseMounter.IsPrivileged || !NetNamespace.HomeIsOwned());

    /// <summary>Whether this mount needs a user namespace of its own.</summary>
    public static bool Needed(MountOptions o) => !FuseMounter.IsPrivileged && DaemonMakesNamespaces(o);

    /// <summary>The keeper: a shell, in a session of its own, that reads its stdin until EOF (the
    /// daemon holds the pipe's other end, for its life) and then, if the mount fails to list (the
    /// daemon died without it being unmounted: ENOTCONN), runs `fusermount3 -u -z` on it; a mount
    /// already unmounted, or mounted anew, lists fine and is left alone. fusermount3's own
    /// auto_unmount cannot serve: before libfuse 3.17 it checks the mount as root, whom FUSE
    /// refuses without allow_other, and gives up. Returns the pipe's write end (close-on-exec),
    /// for the daemon. Started while only stdio is inheritable, and with stdio on /dev/null.</summary>
    public static int StartKeeper(string mountPoint)
    {
        var psi = new ProcessStartInfo("/usr/bin/setsid") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var a in new[] { "/bin/sh", "-c", "read _; ls -- \"$1\" >/dev/null 2>&1 || exec \"$2\" -u -z -q -- \"$1\"", "netnsfs-keeper", mountPoint, FuseMounter.FusermountPath })
            psi.ArgumentList.Add(a);
        using var keeper = Process.Start(psi) ?? throw new IOException("cannot start the mount's keeper");
        var handle = keeper.StandardInput.BaseStream switch
        {
            FileStream f => f.SafeFileHandle.DangerousGetHandle(),
            System.IO.Pipes.PipeStream p => p.SafePipeHandle.DangerousGetHandle(),
            var other => throw new IOException($"the keeper's stdin is a {other.GetType().Name}"),
        };
        int write = fcntl((int)handle, F_DUPFD_CLOEXEC, 3);
        keeper.StandardInput.Dispose(); // the copy above is the one end left
        return write >= 0 ? write : throw new IOException("dup of the keeper's pipe failed");
    }

    /// <summary>Throws <see cref="FuseMountException"/> with the cause and the fix when this
    /// machine will not give the user a user namespace, before anything is mounted.</summary>
    public static void CheckMachine()
    {
        uint overflowUid = ReadNumber("/proc/sys/kernel/overflowuid") ?? 65534, overflowGid = ReadNumber("/proc/sys/kernel/overflowgid") ?? 65534;
        if (getuid() == overflowUid || getgid() == overflowGid)
        {
            throw new FuseMountException(Errno.EPERM, $"uid {getuid()} or gid {getgid()} is the kernel's overflow id, which a user namespace shows for every user it does not map: " +
                "the daemon could not tell you from anyone else. Mount as another user");
        }
        if (!File.Exists(MountNamespaces.Unshare))
            throw new FuseMountException(Errno.ENOENT, $"{MountNamespaces.Unshare} not found: a rootless mount needs util-linux's unshare");
        var probe = new ProcessStartInfo(MountNamespaces.Unshare) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in UserNamespace)
            probe.ArgumentList.Add(a);
        foreach (var a in new[] { "--net", "--", "/bin/true" })
            probe.ArgumentList.Add(a);
        using var p = Process.Start(probe) ?? throw new FuseMountException(Errno.ENOENT, $"cannot start {MountNamespaces.Unshare}");
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new FuseMountException(Errno.EPERM, Diagnose(ReadSysctl, stderr.Trim()));
    }

    /// <summary>Why a user namespace could not be made, and what would allow it, from the sysctls
    /// that refuse them (<paramref name="sysctl"/>: a path under /proc/sys, its value or null) and
    /// what unshare said.</summary>
    public static string Diagnose(Func<string, string?> sysctl, string unshareSaid)
    {
        string prefix = "cannot make a user namespace for a rootless mount";
        if (sysctl("user/max_user_namespaces") == "0")
            return $"{prefix}: user namespaces are off (user.max_user_namespaces = 0); as root: sysctl -w user.max_user_namespaces=15000";
        if (sysctl("kernel/unprivileged_userns_clone") == "0")
            return $"{prefix}: unprivileged user namespaces are off (kernel.unprivileged_userns_clone = 0); as root: sysctl -w kernel.unprivileged_userns_clone=1";
        if (sysctl("kernel/apparmor_restrict_unprivileged_userns") == "1")
        {
            return $"{prefix}: AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1); " +
                "as root: give netnsfs an AppArmor profile that allows userns, or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0";
        }
        if (sysctl("user/max_net_namespaces") == "0")
            return $"{prefix}: network namespaces are off (user.max_net_namespaces = 0); as root: sysctl -w user.max_net_namespaces=15000";
        return $"{prefix}: {(unshareSaid.Length > 0 ? unshareSaid : "unshare failed")}";
    }

    private static string? ReadSysctl(string name)
    {
        try
        {
            return File.ReadAllText("/proc/sys/" + name).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static uint? ReadNumber(string path) =>
        uint.TryParse(ReadSysctl(path["/proc/sys/".Length..]), NumberStyles.None, CultureInfo.InvariantCulture, out uint v) ? v : null;
}
