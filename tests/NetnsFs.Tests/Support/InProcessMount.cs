using NetnsFs.Fuse.Mounting;
using NetnsFs.Fuse.Session;
using Serilog;

namespace NetnsFs.Tests.Support;

/// <summary>A FUSE session of this test process on a fresh directory, for the FUSE-layer tests.
/// Dispose unmounts and waits for the session to end.</summary>
public sealed class InProcessMount : IDisposable
{
    private readonly TempDir _dir = new("fuse");

    public InProcessMount(FuseFileSystem fs, FuseSessionOptions? options = null)
    {
        Dir = _dir.Path;
        var log = new LoggerConfiguration().CreateLogger();
        int fd = FuseMounter.Mount(Dir, new FuseMountOptions { Source = "fusetest", Subtype = "fusetest" });
        Session = new FuseSession(new FuseDevice(fd), fs, options ?? new FuseSessionOptions(), log);
        Session.Start();
        if (!Session.Initialized.Wait(TimeSpan.FromSeconds(10)))
            throw new TimeoutException("no INIT");
    }

    public string Dir { get; }
    public FuseSession Session { get; }

    public string this[string relative] => Path.Combine(Dir, relative);

    public void Dispose()
    {
        Mounts.Detach(Dir);
        Session.Ended.Wait(TimeSpan.FromSeconds(10));
        Session.Dispose();
        _dir.Dispose();
    }
}
