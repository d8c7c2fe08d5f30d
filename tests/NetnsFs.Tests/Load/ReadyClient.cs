using System.Diagnostics;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Load;

/// <summary>A python3 -c client of the fault tests that prints "ready" as its first line once it
/// is where the test wants it (connected, about to block); the test then breaks something under
/// it. Dispose kills it if it still runs, so a failed assertion leaves no client behind.</summary>
internal sealed class ReadyClient : IDisposable
{
    public ReadyClient(string script, IEnumerable<string> args, string readyMeans)
    {
        Process = Process.Start(Run.StartInfo(Run.Python3, ["-c", script, .. args]))!;
        try
        {
            var line = Process.StandardOutput.ReadLineAsync();
            Assert.That(line.Wait(TimeSpan.FromSeconds(20)) ? line.Result : null, Is.EqualTo("ready"), readyMeans);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public Process Process { get; }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
            Process.WaitForExit(5000);
        }
        Process.Dispose();
    }
}
