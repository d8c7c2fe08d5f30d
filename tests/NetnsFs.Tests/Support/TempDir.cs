namespace NetnsFs.Tests.Support;

/// <summary>A unique directory under /tmp/netnsfs-tests, removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public const string Root = "/tmp/netnsfs-tests";

    public TempDir(string prefix = "t")
    {
        Directory.CreateDirectory(Root);
        string name = $"{prefix}-{Environment.ProcessId}-{Guid.NewGuid():N}";
        Path = System.IO.Path.Combine(Root, name[..Math.Min(name.Length, 40)]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name)
    {
        var p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(p);
        return p;
    }

    public override string ToString() => Path;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // a mount still there (a test failed hard): the global teardown detaches it
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
