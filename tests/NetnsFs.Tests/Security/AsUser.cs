using NetnsFs.Tests.Support;

namespace NetnsFs.Tests.Security;

/// <summary>Commands run as an unprivileged user through setpriv (no capabilities, no groups):
/// nobody (65534) and a second user (1234), so that tests can tell users apart. Scripts go on the
/// command line (-c), so nobody needs to read no file of the test's.</summary>
public static class AsUser
{
    public const uint Nobody = 65534;
    public const uint Other = 1234;

    private static string[] Setpriv(uint uid) => [$"--reuid={uid}", $"--regid={uid}", "--clear-groups"];

    /// <summary>Runs a python script as <paramref name="uid"/> and waits for it.</summary>
    public static RunResult Python3(uint uid, string script, params string[] args) =>
        Run.Process("setpriv", [.. Setpriv(uid), Run.Python3, "-c", script, .. args], TimeSpan.FromSeconds(60));

    /// <summary>Runs a command as <paramref name="uid"/> and waits for it.</summary>
    public static RunResult Command(uint uid, params string[] command) =>
        Run.Process("setpriv", [.. Setpriv(uid), "--", .. command], TimeSpan.FromSeconds(60));

    /// <summary>Starts a python script as <paramref name="uid"/> (killed on dispose); its lines come as printed.</summary>
    public static Background Start(uint uid, string script, params string[] args) =>
        new("setpriv", [.. Setpriv(uid), Run.Python3, "-u", "-c", script, .. args]);

    /// <summary>Opens each path (O_RDWR|O_NONBLOCK) and prints "PATH ok" or "PATH ERRNO".</summary>
    public const string TryOpen = """
        import os, sys
        for p in sys.argv[2:]:
            try:
                fd = os.open(os.path.join(sys.argv[1], p), os.O_RDWR | os.O_NONBLOCK)
                print(p, "ok")
                os.close(fd)
            except OSError as e:
                print(p, e.errno)
        """;
}
