using Serilog;
using Serilog.Events;

namespace NetnsFs.Cli;

/// <summary>Serilog as netnsfs uses it: stderr in the foreground, the -o log=FILE file otherwise
/// (nothing when neither: a daemon has no terminal). -o debug logs every request.</summary>
public static class Logging
{
    private const string Template = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}";

    public static ILogger Create(MountOptions options, bool foreground)
    {
        var config = new LoggerConfiguration()
            .MinimumLevel.Is(options.Debug ? LogEventLevel.Debug : LogEventLevel.Information);
        if (options.LogFile is not null)
            config = config.WriteTo.File(options.LogFile, outputTemplate: Template, shared: true, flushToDiskInterval: TimeSpan.FromSeconds(1));
        if (foreground)
            config = config.WriteTo.Console(outputTemplate: Template, standardErrorFromLevel: LogEventLevel.Verbose);
        return config.CreateLogger();
    }
}
