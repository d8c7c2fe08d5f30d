using NetnsFs.FileSystem.Paths;

namespace NetnsFs.Cli.Runner;

/// <summary>Where a trapped open's socket comes from: the handoff directory of the namespace (a
/// mount's root, or a namespace directory of a -o multi mount) and the path to ask it for.</summary>
public readonly record struct SocketTarget(string HandoffDirectory, string Request);

/// <summary>Which opened paths are netnsfs socket paths: pure, decided on the path's text and the
/// mount table, as the grammar of the mount would decide. Anything it cannot tell for certain (a
/// "." or ".." component, a symlink on the way, a path outside every mount) is not one: the open
/// then goes to the kernel and on to the FUSE socket file, which is slower, never less checked.</summary>
public static class SocketPath
{
    private static readonly PathGrammar Grammar = new(hasHandoff: true);

    /// <summary>The cheap test run on every trapped open before anything is read from /proc: a
    /// socket path has a triple's ';' or a transport directory among its components.</summary>
    public static bool MayBe(string path)
    {
        if (path.Contains(';', StringComparison.Ordinal))
            return true;
        foreach (var t in TransportTable.Rows)
        {
            if (path.StartsWith(t.Name + "/", StringComparison.Ordinal) || path.Contains("/" + t.Name + "/", StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    /// <summary><paramref name="path"/> made absolute against <paramref name="directory"/> (the
    /// thread's cwd or the dirfd's path), or null when that is unknown.</summary>
    public static string? Absolute(string path, string? directory) =>
        path.StartsWith('/') ? path : directory is { Length: > 0 } && directory[0] == '/' ? directory.TrimEnd('/') + "/" + path : null;

    /// <summary>The socket an open of <paramref name="absolute"/> names, or null for any other file.</summary>
    /// <param name="mounts">Mount points of netnsfs mounts, longest first (<see cref="NetnsfsMounts"/>).</param>
    /// <param name="isNamespaceRoot">Whether a mount point is a namespace (it has a handoff link)
    /// rather than the root of a -o multi mount.</param>
    public static SocketTarget? Locate(string absolute, IReadOnlyList<string> mounts, Func<string, bool> isNamespaceRoot)
    {
        var parts = absolute.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Any(p => p is "." or ".."))
            return null;
        foreach (var mount in mounts)
        {
            var mountParts = mount.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length <= mountParts.Length || !parts.AsSpan(0, mountParts.Length).SequenceEqual(mountParts))
                continue;
            var rest = parts[mountParts.Length..];
            string dir = mount;
            if (!isNamespaceRoot(mount))
            {
                if (rest.Length < 2)
                    return null;
                dir = mount.TrimEnd('/') + "/" + rest[0];
                rest = rest[1..];
            }
            return IsSocketFile(rest) ? new SocketTarget(dir, string.Join('/', rest)) : null;
        }
        return null;
    }

    /// <summary>Whether the grammar makes a socket of these names under a namespace's root.</summary>
    public static bool IsSocketFile(IReadOnlyList<string> names)
    {
        PathMeaning current = NamespaceDirectory.Instance;
        foreach (var name in names)
        {
            if (current is not DirectoryMeaning dir || Grammar.Resolve(dir, name, out var next) != 0 || next is ConnectionDirectory)
                return false;
            current = next!;
        }
        return current is SocketRecipe;
    }

    /// <summary>The triple a socket(2) call names, as the mount's grammar spells it, or null for a
    /// type the grammar has no name for (the call then stays in the program's own namespace).</summary>
    public static string? Triple(int domain, int type, int protocol)
    {
        string? family = domain switch { 2 => "inet", 10 => "inet6", 16 => "netlink", _ => null };
        string? kind = (type & 0xf) switch { 1 => "stream", 2 => "dgram", 3 => "raw", 5 => "seqpacket", _ => null };
        if (family is null || kind is null || protocol is < 0 or > 255)
            return null;
        return $"{family};{kind};{protocol.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }
}
