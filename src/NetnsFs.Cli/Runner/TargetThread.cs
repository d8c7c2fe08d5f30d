using System.Runtime.InteropServices;
using System.Text;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli.Runner;

/// <summary>What the supervisor reads of a trapped thread (a notification's pid is a thread id):
/// the path argument from its memory, its cwd, root, an fd's path, its mount namespace and its
/// credentials, each through /proc/TID (which works for any thread, not only a leader). Every read
/// may fail (the thread exited, dropped dumpability): the caller then lets the call continue.</summary>
internal static unsafe class TargetThread
{
    private const int PathMax = 4096;
    private const int Page = 4096;

    /// <summary>The NUL-terminated string at <paramref name="address"/>, read a page at a time so
    /// that a path near the end of a mapping is not lost to a read of the next, unmapped, page.</summary>
    public static string? ReadString(uint tid, ulong address)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(PathMax); // every trapped open reads one
        try
        {
            return ReadString(tid, address, buffer);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string? ReadString(uint tid, ulong address, byte[] buffer)
    {
        int have = 0;
        while (have < PathMax)
        {
            ulong at = address + (ulong)have;
            int chunk = (int)Math.Min((ulong)(PathMax - have), (ulong)Page - (at % Page));
            fixed (byte* p = &buffer[have])
            {
                var local = new IoVec { Base = p, Len = chunk };
                var remote = new IoVec { Base = (void*)at, Len = chunk };
                nint n = process_vm_readv((int)tid, &local, 1, &remote, 1, 0);
                if (n <= 0)
                    return null;
                int nul = Array.IndexOf(buffer, (byte)0, have, (int)n);
                if (nul >= 0)
                    return Encoding.UTF8.GetString(buffer, 0, nul);
                have += (int)n;
            }
        }
        return null; // longer than PATH_MAX: the kernel answers ENAMETOOLONG itself
    }

    public static string? Link(uint tid, string what) => ReadLink($"/proc/{tid}/{what}");

    public static string? ReadLink(string path)
    {
        var buffer = new byte[PathMax];
        nint n = readlinkat(-100, path, buffer, buffer.Length);
        return n <= 0 || n >= buffer.Length ? null : Encoding.UTF8.GetString(buffer, 0, (int)n);
    }

    /// <summary>The lines of /proc/TID/status that decide what a socket made for it may do.</summary>
    public static string? Credentials(string statusPath)
    {
        try
        {
            var lines = File.ReadAllLines(statusPath)
                .Where(l => l.StartsWith("Uid:", StringComparison.Ordinal) || l.StartsWith("Gid:", StringComparison.Ordinal) ||
                            l.StartsWith("Groups:", StringComparison.Ordinal) || l.StartsWith("CapEff:", StringComparison.Ordinal));
            return string.Join('\n', lines);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static int LastError => Marshal.GetLastPInvokeError();
}
