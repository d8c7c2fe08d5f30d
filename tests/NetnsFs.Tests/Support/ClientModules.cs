namespace NetnsFs.Tests.Support;

/// <summary>The handoff client modules of samples/ (Python netnsfs.py, Perl Netnsfs.pm) copied into
/// a test's own temp dir before another user runs them: a clone of the repository may sit where
/// only root may enter (/root is 0700 on Debian), and nobody could not import them from there.</summary>
public static class ClientModules
{
    /// <summary>A directory in <paramref name="tmp"/> holding netnsfs.py, for PYTHONPATH.</summary>
    public static string Python(TempDir tmp) => Copy(tmp, "pylib", "python", "netnsfs.py");

    /// <summary>PYTHONPATH set to <see cref="Python"/>.</summary>
    public static Dictionary<string, string> PythonPath(TempDir tmp) => new() { ["PYTHONPATH"] = Python(tmp) };

    /// <summary>A directory in <paramref name="tmp"/> holding Netnsfs.pm, for perl -I.</summary>
    public static string Perl(TempDir tmp) => Copy(tmp, "perllib", "perl", "Netnsfs.pm");

    private static string Copy(TempDir tmp, string sub, string lang, string file)
    {
        string dir = tmp.Sub(sub);
        File.Copy(Path.Combine(Netnsfs.RepoRoot, "samples", lang, file), Path.Combine(dir, file), overwrite: true);
        return dir;
    }
}
