// netnsfs from C#:
//   get MOUNT HOST PORT [PATH]    HTTP GET through MOUNT/tcp/HOST/PORT (a connection made inside)
//   echo MOUNT PORT [COUNT]       echo server: each open of MOUNT/tcp/listen/PORT accepts one client
//   handoff MOUNT PORT [COUNT]    echo server on a real listening socket from NetnsFs.Client
// COUNT clients, then exit (default: forever).
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using NetnsFs.Client;

return args switch
{
    ["get", var mount, var host, var port, .. var rest] when rest.Length <= 1 => Get(mount, host, port, rest.Length == 1 ? rest[0] : "/"),
    ["echo", var mount, var port, .. var rest] when rest.Length <= 1 => Echo(mount, port, Count(rest)),
    ["handoff", var mount, var port, .. var rest] when rest.Length <= 1 => Handoff(mount, port, Count(rest)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: netnsfs-samples get MOUNT HOST PORT [PATH] | echo MOUNT PORT [COUNT] | handoff MOUNT PORT [COUNT]");
    return 2;
}

static int Count(string[] rest) => rest.Length == 1 ? int.Parse(rest[0], CultureInfo.InvariantCulture) : 0;

// A socket file is a stream: no position, read = recv, write = send. bufferSize 0: no FileStream buffer.
static FileStream OpenSocketFile(string path) =>
    new(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);

static int Get(string mount, string host, string port, string path)
{
    using var conn = OpenSocketFile(Path.Combine(mount, "tcp", host, port)); // connect(2), inside
    conn.Write(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n"));
    using var stdout = Console.OpenStandardOutput();
    conn.CopyTo(stdout); // until the server closes
    return 0;
}

static int Echo(string mount, string port, int count)
{
    string listen = Path.Combine(mount, "tcp", "listen", port);
    var buffer = new byte[65536];
    for (int served = 0; count == 0 || served < count; served++)
    {
        using var client = OpenSocketFile(listen); // waits for a client
        int n;
        while ((n = client.Read(buffer)) > 0)
            client.Write(buffer, 0, n);
    }
    return 0;
}

static int Handoff(string mount, string port, int count)
{
    using Socket listener = NetnsSocket.Open(mount, $"tcp/listen/{port}"); // listening, inside
    var buffer = new byte[65536];
    for (int served = 0; count == 0 || served < count; served++)
    {
        using Socket client = listener.Accept();
        int n;
        while ((n = client.Receive(buffer)) > 0)
            client.Send(buffer.AsSpan(0, n));
    }
    return 0;
}
