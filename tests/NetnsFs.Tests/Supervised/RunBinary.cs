using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Supervised;

/// <summary>The binary under test, copied once for the `run` tests to where any user may run it
/// (the clone may be in a directory only root may enter), with room beside it for the test
/// programs they compile.</summary>
[SetUpFixture]
public sealed class RunBinary
{
    private static TempDir? _dir;

    /// <summary>The copy of netnsfs.</summary>
    public static string Path { get; private set; } = "";

    /// <summary>Its directory (0755), for compiled test programs.</summary>
    public static string Dir => _dir?.Path ?? throw new InvalidOperationException("RunBinary is set up for the tests of its namespace only");

    [OneTimeSetUp]
    public void Copy()
    {
        _dir = new TempDir("runbin");
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0x1ed);
        Path = System.IO.Path.Combine(_dir.Path, "netnsfs");
        File.Copy(Netnsfs.Binary, Path);
        File.SetUnixFileMode(Path, (UnixFileMode)0x1ed);
    }

    [OneTimeTearDown]
    public void Remove() => _dir?.Dispose();
}
