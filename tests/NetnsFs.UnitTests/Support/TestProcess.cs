using System.Runtime.InteropServices;

namespace NetnsFs.UnitTests.Support;

/// <summary>Who the test process runs as (the unit tests run as root and as nobody alike).</summary>
internal static partial class TestProcess
{
    public static uint Uid => getuid();

    public static uint Gid => getgid();

    [LibraryImport("libc")]
    private static partial uint getuid();

    [LibraryImport("libc")]
    private static partial uint getgid();
}
