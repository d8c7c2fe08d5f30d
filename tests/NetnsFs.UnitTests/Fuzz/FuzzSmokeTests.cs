using System.Diagnostics;
using NetnsFs.Fuzz;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Fuzz;

/// <summary>The fuzz targets of tests/NetnsFs.Fuzz (Targets.cs is compiled into this assembly too)
/// run in-process over every seed of their corpus and over a fixed set of mutations of them: no
/// afl, no instrumentation, a few seconds. A seed or mutation that fails here is a finding (or a
/// target that no longer matches the code).</summary>
[TestFixture]
public sealed class FuzzSmokeTests
{
    private const int Seed = 0x6E6E7366;

    /// <summary>tests/NetnsFs.Fuzz/corpus, copied beside the test assembly: the tests may run where the
    /// source tree cannot be read (as nobody from a copy of the build output).</summary>
    private static string CorpusDir(string target) => Path.Combine(AppContext.BaseDirectory, "corpus", target);

    private static List<(string Name, byte[] Data)> Corpus(string target)
    {
        var files = Directory.GetFiles(CorpusDir(target)).Order(StringComparer.Ordinal).ToList();
        return [.. files.Select(f => (Path.GetFileName(f), File.ReadAllBytes(f)))];
    }

    [TearDown]
    public void TearDown() => RequestTarget.DisposeShared();

    [TestCase("paths", 60)]
    [TestCase("requests", 60)]
    [TestCase("handoff", 60)]
    [TestCase("dns", 20)]
    public void Every_seed_runs_clean(string target, int atLeast)
    {
        var corpus = Corpus(target);
        Assert.That(corpus, Has.Count.GreaterThanOrEqualTo(atLeast), $"seeds in {CorpusDir(target)}");
        var failures = new List<string>();
        foreach (var (name, data) in corpus)
        {
            try
            {
                Targets.Run(target, data);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failures.Add($"{name}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.That(failures, Is.Empty);
    }

    [TestCase("paths", 20000)]
    [TestCase("requests", 4000)]
    [TestCase("handoff", 20000)]
    [TestCase("dns", 20000)]
    public void Mutated_seeds_run_clean(string target, int count)
    {
        var corpus = Corpus(target);
        var rnd = new Random(Seed);
        var sw = Stopwatch.StartNew();
        int done = 0;
        for (; done < count && sw.Elapsed < TimeSpan.FromSeconds(8); done++)
        {
            var input = Mutate(rnd, corpus[rnd.Next(corpus.Count)].Data, corpus[rnd.Next(corpus.Count)].Data);
            try
            {
                Targets.Run(target, input);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Assert.Fail($"mutation {done} (seed {Seed}) failed: {e}\ninput: {Convert.ToHexString(input)}");
            }
        }
        TestContext.Progress.WriteLine($"{target}: {done} mutations in {sw.Elapsed.TotalSeconds:F1} s");
        Assert.That(done, Is.GreaterThanOrEqualTo(Math.Min(count, 200)), "mutations run in the time given");
    }

    /// <summary>afl's havoc in miniature: flips, interesting values, inserts, deletes, splices.</summary>
    private static byte[] Mutate(Random rnd, byte[] a, byte[] b)
    {
        var data = new List<byte>(a);
        int steps = 1 + rnd.Next(8);
        for (int i = 0; i < steps; i++)
        {
            int at = data.Count == 0 ? 0 : rnd.Next(data.Count);
            switch (rnd.Next(7))
            {
                case 0 when data.Count > 0:
                    data[at] ^= (byte)(1 << rnd.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[at] = (byte)rnd.Next(256);
                    break;
                case 2 when data.Count > 0:
                    byte[] interesting = [0, 1, 0x7F, 0x80, 0xFF, (byte)'/', (byte)';', (byte)'@', (byte)'.', (byte)':'];
                    data[at] = interesting[rnd.Next(interesting.Length)];
                    break;
                case 3:
                    data.InsertRange(at, Enumerable.Range(0, 1 + rnd.Next(16)).Select(_ => (byte)rnd.Next(256)));
                    break;
                case 4 when data.Count > 0:
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + rnd.Next(16)));
                    break;
                case 5 when b.Length > 0:
                    int from = rnd.Next(b.Length);
                    data.InsertRange(at, b.AsSpan(from, Math.Min(b.Length - from, 1 + rnd.Next(64))).ToArray());
                    break;
                case 6 when data.Count >= 4:
                    int w = rnd.Next(data.Count - 3);
                    uint[] values = [0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 40, 4096, (uint)data.Count];
                    BitConverter.TryWriteBytes(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(data).Slice(w, 4), values[rnd.Next(values.Length)]);
                    break;
            }
        }
        return [.. data];
    }
}
