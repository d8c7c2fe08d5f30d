namespace NetnsFs.Tests.Support;

/// <summary>Reads /proc/self/mounts and removes FUSE mounts the tests made.</summary>
public static class Mounts
{
    public static IEnumerable<(string Source, string Target, string Type)> Fuse() =>
        File.ReadAllLines("/proc/self/mounts")
            .Select(l => l.Split(' '))
            .Where(f => f.Length > 2 && f[2].StartsWith("fuse", StringComparison.Ordinal))
            .Select(f => (f[0], f[1].Replace("\\040", " ", StringComparison.Ordinal), f[2]));

    public static bool IsMounted(string target) => Fuse().Any(m => m.Target == target);

    /// <summary>Lazy unmount; safe to call on something not mounted.</summary>
    public static void Detach(string target) =>
        Run.Process("umount", ["-l", target], TimeSpan.FromSeconds(10));
}
