namespace NetnsFs.Cli.Runner;

/// <summary>The mount points of netnsfs mounts (fstype fuse.netnsfs) in a mountinfo text, longest
/// first, so that the first one a path lies under is the mount on top.</summary>
public static class NetnsfsMounts
{
    public const string FileSystemType = "fuse.netnsfs";

    public static string[] Parse(string mountinfo)
    {
        var points = new List<string>();
        foreach (var line in mountinfo.Split('\n'))
        {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            var fields = line.Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (dash < 5 || dash + 1 >= fields.Length || fields[dash + 1] != FileSystemType)
                continue;
            points.Add(Unescape(fields[4]));
        }
        return [.. points.Distinct().OrderByDescending(p => p.Length)];
    }

    public static string[] Current()
    {
        try
        {
            return Parse(File.ReadAllText("/proc/self/mountinfo"));
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as \ooo.</summary>
    internal static string Unescape(string field) =>
        field.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
             .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
}
