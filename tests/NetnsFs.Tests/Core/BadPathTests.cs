using System.Text;
using System.Text.Json;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Core;

/// <summary>Names the grammar refuses: each open answers its own errno, at once, and leaves the
/// daemon as it was.</summary>
public sealed class BadPathTests
{
    /// <summary>One bad open: the path under the mount (bytes, so non-UTF-8 can be said), whether
    /// it is opened with O_CREAT, and the errno it must answer.</summary>
    public sealed record Case(string Label, byte[] Path, bool Create, string Errno)
    {
        public override string ToString() => Label;
    }

    private static Case C(string path, string errno, bool create = false, string? label = null) =>
        new(label ?? path, Encoding.UTF8.GetBytes(path), create, errno);

    private static Case Raw(string label, byte[] path, string errno) => new(label, path, false, errno);

    private static byte[] Bytes(string prefix, params byte[] rest) => [.. Encoding.ASCII.GetBytes(prefix), .. rest];

    /// <summary>Each errno is the one socket(2)/connect(2)/the VFS would give for the same mistake:
    /// a family it does not know EAFNOSUPPORT, a type EINVAL, a protocol EPROTONOSUPPORT, a number
    /// out of range EINVAL, a name that can never exist ENOENT, an over-long name ENAMETOOLONG.</summary>
    public static IEnumerable<Case> Cases()
    {
        // Triples at the root.
        yield return C("inet;stream", "ENOENT", label: "two fields: no triple");
        yield return C("inet;stream;tcp;x", "ENOENT", label: "four fields: no triple");
        yield return C("x;stream;tcp", "EAFNOSUPPORT");
        yield return C(";;", "EAFNOSUPPORT");
        yield return C("INET;STREAM;TCP", "EAFNOSUPPORT", label: "names are lower case");
        yield return C("inet;foo;tcp", "EINVAL");
        yield return C("inet;stream;bogus", "EPROTONOSUPPORT");
        yield return C("inet;stream;999", "EPROTONOSUPPORT");
        yield return C("inet;stream;", "EPROTONOSUPPORT");
        yield return C("unix;stream;6", "EPROTONOSUPPORT");
        yield return C("inet;dgram;tcp", "EPROTONOSUPPORT", label: "inet;dgram;tcp (kernel refuses)");
        yield return C("x;stream;tcp", "EAFNOSUPPORT", create: true, label: "x;stream;tcp O_CREAT");
        yield return C("nonexistent", "ENOENT");
        yield return C("nonexistent", "EACCES", create: true, label: "nonexistent O_CREAT (cannot be made)");
        // Ports.
        yield return C("tcp/127.0.0.1/0", "EINVAL");
        yield return C("tcp/127.0.0.1/65536", "EINVAL");
        yield return C("tcp/127.0.0.1/99999", "EINVAL");
        yield return C("udp/127.0.0.1/0", "EINVAL");
        yield return C("tcp/127.0.0.1/-1", "ENOENT");
        yield return C("tcp/127.0.0.1/+80", "ENOENT");
        yield return C("tcp/127.0.0.1/abc", "ENOENT");
        yield return C("tcp/127.0.0.1/abc", "EACCES", create: true, label: "tcp/127.0.0.1/abc O_CREAT");
        yield return C("tcp/127.0.0.1/08", "ENOENT");
        yield return C("tcp/127.0.0.1/123456", "ENOENT");
        yield return C("tcp/127.0.0.1/80 ", "ENOENT", label: "port with a trailing space");
        // Hosts.
        yield return C("tcp/1.2.3/80", "ENOENT", label: "tcp/1.2.3/80 (no literal: a name, and no such name)");
        yield return C("tcp/256.1.1.1/80", "ENOENT");
        yield return C("tcp/example.invalid/80", "ENOENT");
        yield return C("tcp/::zz/80", "ENOENT");
        yield return C("udp/::zz/53", "ENOENT");
        yield return C("tcp/a b/80", "ENOENT");
        yield return C("tcp/a..b/80", "ENOENT");
        yield return C("tcp/.../80", "ENOENT");
        yield return C("tcp/../80", "ENOENT", label: "tcp/../80 (is /80 at the root)");
        yield return C("tcp/../80", "EACCES", create: true, label: "tcp/../80 O_CREAT");
        yield return C("tcp/" + new string('a', 254) + "/80", "ENOENT", label: "host of 254 characters (DNS allows 253)");
        // Directories and files in the wrong place.
        yield return C("tcp", "EISDIR");
        yield return C("tcp/127.0.0.1", "EISDIR");
        yield return C("tcp/127.0.0.1/80/x", "ENOTDIR");
        yield return C("status/x", "ENOTDIR");
        yield return C("inet;stream;tcp/x", "ENOTDIR");
        // Lengths.
        yield return C(new string('x', 256), "ENAMETOOLONG", label: "root name of 256");
        yield return C(new string('x', 2000), "ENAMETOOLONG", label: "root name of 2000");
        yield return C("tcp/" + new string('a', 256) + "/80", "ENAMETOOLONG", label: "host of 256");
        yield return C("tcp/127.0.0.1/" + new string('1', 300), "ENAMETOOLONG", label: "port of 300");
        // Unix names.
        yield return C("unix/name", "ENOENT", label: "unix name without @");
        yield return C("unix/@", "ENOENT", label: "unix/@ (empty name)");
        yield return C("unix/@" + new string('x', 200), "ENAMETOOLONG", label: "unix/@ + 200");
        yield return C("unix/@" + new string('x', 108), "ENAMETOOLONG", label: "unix/@ + 108 (sun_path holds 107)");
        yield return C("unix/@" + new string('x', 107), "ECONNREFUSED", label: "unix/@ + 107 (fits; nobody listens)");
        // Not UTF-8.
        yield return Raw("non-UTF-8 triple", [0xff, .. Encoding.ASCII.GetBytes(";stream;tcp")], "ENOENT");
        yield return Raw("non-UTF-8 host", Bytes("tcp/", 0xff, 0xfe, (byte)'/', (byte)'8', (byte)'0'), "ENOENT");
        yield return Raw("non-UTF-8 port", Bytes("tcp/127.0.0.1/", 0xff), "ENOENT");
        yield return Raw("non-UTF-8 unix name", Bytes("unix/@", 0xc3, 0x28), "ENOENT");
    }

    /// <summary>argv: DIR CASES_JSON ([[hexpath, create], ...]). Prints [[errno, ms], ...].</summary>
    private const string Prober = """
        import errno, json, os, sys, time
        d = os.fsencode(sys.argv[1])
        out = []
        for hexpath, create in json.loads(sys.argv[2]):
            path = d + b"/" + bytes.fromhex(hexpath)
            flags = os.O_RDWR | (os.O_CREAT if create else 0)
            t = time.monotonic()
            try:
                fd = os.open(path, flags, 0o777)
                ms = (time.monotonic() - t) * 1000
                os.close(fd)
                out.append(["opened", ms])
            except OSError as e:
                ms = (time.monotonic() - t) * 1000
                out.append([errno.errorcode.get(e.errno, str(e.errno)), ms])
        print(json.dumps(out))
        """;

    private static List<(string Errno, double Ms)> Probe(string dir, IReadOnlyList<Case> cases)
    {
        string arg = JsonSerializer.Serialize(cases.Select(c => new object[] { Convert.ToHexString(c.Path), c.Create }));
        var j = Py.Json(Prober, TimeSpan.FromSeconds(60), dir, arg);
        return j.EnumerateArray().Select(e => (e[0].GetString()!, e[1].GetDouble())).ToList();
    }

    [Test]
    public void Every_bad_path_answers_its_errno_within_100_ms_and_leaves_the_daemon_unchanged()
    {
        var cases = Cases().ToList();
        Assert.That(cases, Has.Count.GreaterThanOrEqualTo(30));
        using var m = new NetnsfsMount("create,hosts=/dev/null,resolv=/dev/null"); // names resolve to nothing: ENOENT;
        Host.WarmUp(m, "inet;stream;tcp", "tcp/127.0.0.1/65535", "tcp/::1/65535", "udp/127.0.0.1/9", "unix/@warm-up");
        int fdsBefore = m.DaemonFdCount;

        // First pass: the daemon's code paths for each refusal run (and are compiled) once.
        var first = Probe(m.Dir, cases);
        // Second pass, timed.
        var second = Probe(m.Dir, cases);

        Assert.Multiple(() =>
        {
            for (int i = 0; i < cases.Count; i++)
            {
                var c = cases[i];
                Assert.That(first[i].Errno, Is.EqualTo(c.Errno), $"{c.Label}{(c.Create ? " O_CREAT" : "")}");
                Assert.That(second[i].Errno, Is.EqualTo(c.Errno), $"{c.Label}: second time");
                Assert.That(first[i].Ms, Is.LessThan(1000), $"{c.Label}: first answer time (ms)");
                Assert.That(second[i].Ms, Is.LessThan(100), $"{c.Label}: answer time (ms)");
            }
        });
        Assert.That(m.DaemonAlive, Is.True);
        Assert.That(Await.Eventually(() => m.DaemonFdCount == fdsBefore, TimeSpan.FromSeconds(2)), Is.True,
            $"daemon fds: {m.DaemonFdCount} after, {fdsBefore} before");
        Assert.That(Host.Sockets(m), Is.Zero);
        // And it still serves.
        Assert.That(m.Status["origin"], Is.EqualTo("created"));
        using (File.Open(m["inet;stream;tcp"], FileMode.Open, FileAccess.ReadWrite))
            Assert.That(Await.Eventually(() => Host.Sockets(m) == 1, TimeSpan.FromSeconds(2)), Is.True);
    }
}
