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
}
