namespace NetnsFs.Tests.Support;

/// <summary>Python functions that several test scripts need, pasted into them (each script is one
/// self-contained file or -c string): one copy here rather than one per script. Each starts at
/// column 0, so it goes on a line of its own at the top level of a script.</summary>
internal static class PyFunctions
{
    /// <summary>`echo(c)`: a TCP echo server's connection handler; sends back all it reads until
    /// EOF, then closes the connection.</summary>
    public const string Echo = """
        def echo(c):
            with c:
                while True:
                    d = c.recv(65536)
                    if not d:
                        return
                    c.sendall(d)
        """;

    /// <summary>`read_line(fd)`: reads from an fd (needs `import os`) until what came ends with a
    /// newline or the peer closed; returns all it read.</summary>
    public const string ReadLine = """
        def read_line(fd):
            got = b""
            while not got.endswith(b"\n"):
                d = os.read(fd, 4096)
                if not d:
                    break
                got += d
            return got
        """;

    /// <summary>`read_up_to(fd, n)`: reads from an fd (needs `import os`) until n bytes came or the
    /// peer closed; returns all it read.</summary>
    public const string ReadUpTo = """
        def read_up_to(fd, n):
            got = b""
            while len(got) < n:
                d = os.read(fd, 4096)
                if not d:
                    break
                got += d
            return got
        """;

    /// <summary>`status(mount)`: the mount's status file as a dict of strings; `await_status(mount,
    /// what, ok, timeout=20)`: waits until ok(that dict) holds, else fails (SystemExit) saying what it
    /// waited for (needs `import os, time`). What the daemon says, instead of a sleep.</summary>
    public const string Status = """
        def status(mount):
            with open(os.path.join(mount, 'status')) as f:
                return dict(l.split('=', 1) for l in f.read().split() if '=' in l)

        def await_status(mount, what, ok, timeout=20):
            deadline = time.monotonic() + timeout
            while not ok(status(mount)):
                if time.monotonic() > deadline:
                    raise SystemExit('waited %s s for %s; status: %s' % (timeout, what, status(mount)))
                time.sleep(0.01)
        """;
}
