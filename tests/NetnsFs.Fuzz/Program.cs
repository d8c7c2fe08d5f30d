using SharpFuzz;

namespace NetnsFs.Fuzz;

/// <summary><c>NetnsFs.Fuzz TARGET</c>: one SharpFuzz target under afl-fuzz (input on stdin,
/// persistent mode). <c>NetnsFs.Fuzz TARGET FILE...</c>: replays inputs (a crash's repro) and
/// prints each finding; exit 1 if any.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0 || Array.IndexOf(Targets.Names, args[0]) < 0)
        {
            Console.Error.WriteLine($"usage: NetnsFs.Fuzz {string.Join('|', Targets.Names)} [FILE...]");
            return 2;
        }
        string target = args[0];
        if (args.Length > 1)
            return Replay(target, args[1..]);
        string? log = Environment.GetEnvironmentVariable("FUZZ_LOG");
        Fuzzer.Run(stream =>
        {
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            try
            {
                Targets.Run(target, memory.GetBuffer().AsSpan(0, (int)memory.Length));
            }
            catch (Exception e) when (log is not null)
            {
                // afl keeps the input; this keeps what went wrong (a finding may need the state
                // earlier inputs left, so a replay alone may not show it).
                File.AppendAllText(log, $"--- {DateTime.UtcNow:O} input {Convert.ToHexString(memory.ToArray())}\n{e}\n");
                throw;
            }
        });
        return 0;
    }

    private static int Replay(string target, string[] files)
    {
        int findings = 0;
        foreach (var file in files)
        {
            try
            {
                Targets.Run(target, File.ReadAllBytes(file));
                Console.WriteLine($"ok       {file}");
            }
            catch (Exception e)
            {
                findings++;
                Console.WriteLine($"FINDING  {file}: {e}");
            }
        }
        RequestTarget.DisposeShared();
        return findings == 0 ? 0 : 1;
    }
}
