using System.Runtime.InteropServices;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli;

/// <summary>Process plumbing for the launcher and the daemon (pipes, fd flags, stdio), made of the
/// libc calls in src/Interop.</summary>
internal static unsafe class Native
{
    public static void SetInheritable(int fd, bool inheritable) => fcntl(fd, F_SETFD, inheritable ? 0 : FD_CLOEXEC);

    /// <summary>Marks every fd above 2 close-on-exec except <paramref name="keep"/>: fds we inherited
    /// from our own starter (a test runner's pipes, say) must not live on in the daemon.</summary>
    public static void CloseOnExecAllBut(params int[] keep)
    {
        foreach (var entry in Directory.GetFiles("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int fd) &&
                fd > 2 && Array.IndexOf(keep, fd) < 0)
            {
                fcntl(fd, F_SETFD, FD_CLOEXEC);
            }
        }
    }

    public static (int Read, int Write) Pipe()
    {
        int* fds = stackalloc int[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
            throw new IOException("pipe2 failed: " + Marshal.GetLastPInvokeError());
        return (fds[0], fds[1]);
    }

    public static void WriteAll(int fd, string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        fixed (byte* p = bytes)
        {
            int off = 0;
            while (off < bytes.Length)
            {
                nint n = write(fd, p + off, bytes.Length - off);
                if (n <= 0)
                    return;
                off += (int)n;
            }
        }
    }

    /// <summary>Reads one line (without its newline) within <paramref name="timeoutMs"/>: null on
    /// timeout, "" at EOF before any byte.</summary>
    public static string? ReadLine(int fd, int timeoutMs)
    {
        var result = new List<byte>();
        byte b;
        long deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            int left = (int)(deadline - Environment.TickCount64);
            if (left <= 0)
                return null;
            PollFd pfd = new() { Fd = fd, Events = POLLIN };
            if (poll(&pfd, 1, left) <= 0)
                continue;
            if (read(fd, &b, 1) <= 0 || b == (byte)'\n')
                return System.Text.Encoding.UTF8.GetString([.. result]);
            result.Add(b);
        }
    }

    /// <summary>Points our stdin, stdout and stderr at /dev/null until disposed: a child started
    /// meanwhile inherits /dev/null, not our caller's terminal or pipes (which it would otherwise
    /// hold open for its whole life, since the runtime keeps copies of them).</summary>
    public static IDisposable StdioToDevNull()
    {
        int saved0 = dup(0), saved1 = dup(1), saved2 = dup(2);
        foreach (var fd in new[] { saved0, saved1, saved2 })
            SetInheritable(fd, false);
        DetachStdio();
        return new RestoreStdio(saved0, saved1, saved2);
    }

    private sealed class RestoreStdio(int s0, int s1, int s2) : IDisposable
    {
        public void Dispose()
        {
            dup2(s0, 0);
            dup2(s1, 1);
            dup2(s2, 2);
            close(s0);
            close(s1);
            close(s2);
        }
    }

    /// <summary>Points stdin, stdout and stderr at /dev/null: a daemon must not hold its
    /// starter's terminal or pipes open.</summary>
    public static void DetachStdio()
    {
        int fd = open("/dev/null", O_RDWR);
        if (fd < 0)
            return;
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
}
