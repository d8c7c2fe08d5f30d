using System.Globalization;

namespace NetnsFs.Cli;

/// <summary>This process's uid map (/proc/self/uid_map: INSIDE OUTSIDE COUNT lines, as its own
/// user namespace's parent sees it).</summary>
internal static class UserMap
{
    /// <summary>Whether this is the initial user namespace (the whole range mapped to itself), and
    /// what <paramref name="uid"/> is outside (itself when unmapped or unreadable).</summary>
    public static (bool Initial, uint Outside) Outside(uint uid)
    {
        string text;
        try
        {
            text = File.ReadAllText("/proc/self/uid_map");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (true, uid);
        }
        return Parse(text, uid);
    }

    /// <summary><see cref="Outside"/> of a uid_map's text.</summary>
    public static (bool Initial, uint Outside) Parse(string text, uint uid)
    {
        bool initial = false;
        uint outside = uid;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 3 || !uint.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out uint inside) ||
                !uint.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out uint outer) ||
                !uint.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint count))
            {
                continue;
            }
            if (inside == 0 && outer == 0 && count == uint.MaxValue)
                initial = true;
            if (uid >= inside && uid - inside < count)
                outside = outer + (uid - inside);
        }
        return (initial, outside);
    }
}
