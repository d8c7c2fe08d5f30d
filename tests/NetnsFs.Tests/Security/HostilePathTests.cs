using System.Text;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Security;

/// <summary>Issue 7's corpus: over 100 malformed, oversized and odd paths, each answered with a
/// precise errno in under 100 ms, the daemon alive and its fd count unchanged afterwards.</summary>
public sealed class HostilePathTests
{
    private const int ENOENT = 2, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENAMETOOLONG = 36,
        EPROTONOSUPPORT = 93, EAFNOSUPPORT = 97, ECONNREFUSED = 111, EHOSTUNREACH = 113, ENETUNREACH = 101;

    /// <summary>(path relative to the mount, as bytes; the errnos that are right for it).</summary>
    private static IEnumerable<(byte[] Path, int[] Errnos, string Why)> Corpus()
    {
        static byte[] B(string s) => Encoding.UTF8.GetBytes(s);
        // wrong triples
        foreach (var t in new[] { "inet;stream", "inet;;tcp", ";stream;tcp", "inet;stream;tcp;x", "inet:stream:tcp", "INET;STREAM;TCP", "inet ;stream;tcp" })
            yield return (B(t), [ENOENT, EAFNOSUPPORT, EINVAL], "malformed triple " + t);
        foreach (var t in new[] { "bogus;stream;tcp", "ipx;stream;0", "inet7;dgram;udp", "packet;raw;0" })
            yield return (B(t), [EAFNOSUPPORT], "unknown family " + t);
        foreach (var t in new[] { "inet;bogus;tcp", "inet;streams;tcp", "inet;rdm;0", "inet;;0" })
            yield return (B(t), [EINVAL, ENOENT], "unknown type " + t);
        foreach (var t in new[] { "inet;stream;udp", "inet;dgram;tcp", "inet;stream;nosuch", "inet;stream;256", "inet;stream;-1", "inet;stream;0x6", "unix;stream;tcp", "unix;stream;6", "inet;stream;9999" })
            yield return (B(t), [EPROTONOSUPPORT, EINVAL], "protocol mismatch " + t);
        // ports
        foreach (var p in new[] { "0", "65536", "99999", "100000", "4294967296" })
            yield return (B("tcp/127.0.0.1/" + p), [EINVAL, ENOENT], "port out of range " + p);
        foreach (var p in new[] { "-1", "+80", "08", "0080", "8o", "abc", "80.0", "0x50", " 80", "80 ", "８０", "" })
        {
            if (p.Length > 0)
                yield return (B("tcp/127.0.0.1/" + p), [ENOENT], "not a port " + p);
        }

        foreach (var p in new[] { "0", "65536", "abc", "-5" })
            yield return (B("udp/127.0.0.1/" + p), [EINVAL, ENOENT], "udp port " + p);
        foreach (var p in new[] { "65536", "abc", "08", "-1" })
            yield return (B("tcp/listen/" + p), [EINVAL, ENOENT], "listen port " + p);
        // hosts
        foreach (var h in new[] { "a b", "::zz", "1:2:3:4:5:6:7:8:9", "[::1]", "host$", "ho/st", "\t", "a..b", "-", "exa mple.com", "\u00e9t\u00e9", "\U0001F600" })
        {
            if (!h.Contains('/'))
                yield return (B($"tcp/{h}/80"), [ENOENT], "bad host " + h);
        }

        yield return (B("tcp/1.2.3/80"), [ENOENT], "1.2.3 is a name, and no such name exists here");
        yield return (B("tcp/256.1.1.1/80"), [ENOENT], "256.1.1.1 is no address, so a name, and none");
        yield return (B("tcp/" + new string('a', 254) + "/80"), [ENOENT], "host longer than DNS allows");
        yield return (B("tcp/" + new string('a', 256) + "/80"), [ENAMETOOLONG], "component over NAME_MAX");
        yield return (B(new string('x', 256)), [ENAMETOOLONG], "root name over NAME_MAX");
        yield return (B(new string('x', 255)), [ENOENT], "root name at NAME_MAX");
        // traversal and odd components
        yield return (B(".."), [EISDIR], "the mount's parent, a directory");
        foreach (var p in new[] { "../etc/passwd", "tcp/../../etc/passwd", "tcp/127.0.0.1/../../../etc/passwd", "./status/x", "status/..", "ns/x", "tcp/127.0.0.1/80/x", "conn/999999/local", "conn/0/local", "conn/-1", "conn/01", "conn/abc", "net/nosuch", "net/../status/x", "unix/listen/name", "tcp/listen/1.2.3.4.5/80" })
            yield return (B(p), [ENOENT, ENOTDIR, EINVAL], "odd path " + p);
        foreach (var h in new[] { "127.0.0.010", "0x7f.0.0.1", "127.1", "2130706433", "[::1]:9", "127.0.0.1:9" })
            yield return (B($"tcp/{h}/80"), [ENOENT], "never a silently different target: " + h);
        // unix names
        yield return (B("unix/name"), [ENOENT], "unix path names are not offered");
        yield return (B("unix/@"), [ENOENT], "empty abstract name");
        yield return (B("unix/@" + new string('n', 107)), [ECONNREFUSED], "longest abstract name: nobody listens");
        yield return (B("unix/@" + new string('n', 108)), [ENAMETOOLONG], "abstract name too long");
        yield return (B("unix/@nobody-listens-here"), [ECONNREFUSED], "abstract name nobody listens on");
        // not UTF-8, control characters
        yield return ([0xff, 0xfe, 0x3b, 0x3b], [ENOENT], "binary root name");
        yield return ([.. B("tcp/"), 0xc3, 0x28, .. B("/80")], [ENOENT], "invalid UTF-8 host");
        yield return ([.. B("unix/@"), 0x80, 0x81], [ENOENT], "invalid UTF-8 abstract name");
        yield return (B("tcp/\u0001\u0002/80"), [ENOENT], "control characters");
        yield return (B("inet;stream;tcp\u200b"), [EPROTONOSUPPORT, EINVAL, ENOENT], "zero-width space");
        // connections refused where nothing listens
        foreach (var p in new[] { "tcp/127.0.0.1/1", "tcp/127.0.0.1/9", "tcp/::1/1", "tcp/localhost/2", "tcp/127.0.0.2/3" })
            yield return (B(p), [ECONNREFUSED], "nothing listens: " + p);
        foreach (var p in new[] { "tcp/192.0.2.1/80", "tcp/2001:db8::1/80", "udp/192.0.2.1/53" })
            yield return (B(p), [ENETUNREACH, EHOSTUNREACH], "no route in an empty namespace: " + p);
        // directories and fixed files opened as sockets
        foreach (var p in new[] { "tcp", "udp", "unix", "tcp/listen", "tcp/127.0.0.1", "conn", "net" })
            yield return (B(p), [EISDIR], "a directory: " + p);
        yield return (B("status/x"), [ENOTDIR], "below a file");
        yield return (B("inet;stream;tcp/x"), [ENOTDIR], "below a socket file");
    }

    [Test]
    public void Every_hostile_path_gets_a_precise_errno_quickly_and_leaks_nothing()
    {
        var corpus = Corpus().ToList();
        Assert.That(corpus, Has.Count.GreaterThanOrEqualTo(100));
        // No hosts file, no nameserver: a name that is not a literal resolves to nothing (ENOENT).
        using var m = new NetnsfsMount("create,hosts=/dev/null,resolv=/dev/null");
        // A first pass warms the daemon up (the runtime opens its assemblies on first use, JIT
        // compiles); the second pass is the one that must be fast and leave the fd count alone.
        var first = OpenAll(m, corpus);
        int fdsBefore = m.DaemonFdCount;
        var second = OpenAll(m, corpus);
        Assert.Multiple(() =>
        {
            for (int i = 0; i < corpus.Count; i++)
            {
                Assert.That(corpus[i].Errnos, Does.Contain(second[i].Errno), $"{corpus[i].Why}: errno {second[i].Errno}");
                Assert.That(first[i].Errno, Is.EqualTo(second[i].Errno), $"{corpus[i].Why}: the same answer twice");
                Assert.That(second[i].Micros, Is.LessThan(100_000), $"{corpus[i].Why}: {second[i].Micros} µs");
                Assert.That(first[i].Micros, Is.LessThan(1_000_000), $"{corpus[i].Why}, cold: {first[i].Micros} µs");
            }
        });
        Assert.That(m.DaemonAlive, Is.True);
        // Releases reach the daemon asynchronously: its fd table (/proc/PID/fd) is what to wait on.
        Await.Eventually(() => m.DaemonFdCount == fdsBefore, TimeSpan.FromSeconds(3), pollMs: 50);
        Assert.That(m.DaemonFdCount, Is.EqualTo(fdsBefore), "the daemon's fd count is back where it was");
    }

    /// <summary>One python process opens every path and reports errno and time for each.</summary>
    private static List<(int Errno, int Micros)> OpenAll(NetnsfsMount m, List<(byte[] Path, int[] Errnos, string Why)> corpus)
    {
        var input = string.Join('\n', corpus.Select(c => Convert.ToBase64String(c.Path)));
        const string script = """
            import base64, os, sys, time
            root = sys.argv[1].encode()
            for line in sys.stdin.read().split():
                p = base64.b64decode(line)
                t = time.monotonic()
                try:
                    fd = os.open(root + b"/" + p, os.O_RDWR)
                    os.close(fd); e = 0
                except OSError as ex:
                    e = ex.errno
                print(e, int((time.monotonic() - t) * 1e6), flush=True)
            """;
        var r = Run.Process(Run.Python3, ["-c", script, m.Dir], TimeSpan.FromSeconds(60), stdin: input);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(corpus.Count), r.ToString());
        return lines.Select(l => l.Split(' '))
            .Select(p => (int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
    }
}
