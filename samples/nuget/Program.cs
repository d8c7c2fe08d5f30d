// NetnsFs.Client from its NuGet package: an HTTP GET over a real socket that the netnsfs daemon
// connected inside the mount's network namespace and handed over.
//   netnsfs-nuget-sample MOUNT HOST PORT [PATH]
using System.Net.Sockets;
using System.Text;
using NetnsFs.Client;

if (!OperatingSystem.IsLinux())
{
    Console.Error.WriteLine("netnsfs is Linux only");
    return 1;
}
if (args is not [var mount, var host, var port, .. var rest] || rest.Length > 1)
{
    Console.Error.WriteLine("usage: netnsfs-nuget-sample MOUNT HOST PORT [PATH]");
    return 2;
}
string path = rest.Length == 1 ? rest[0] : "/";

try
{
    // connect(2) made inside the namespace; the socket is ours from here on, no relay.
    using Socket s = NetnsSocket.Open(mount, $"tcp/{host}/{port}");
    s.NoDelay = true; // a real TCP socket: setsockopt works on it
    Console.Error.WriteLine($"connected {s.LocalEndPoint} -> {s.RemoteEndPoint} inside {mount}");
    s.Send(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n"));
    using var stdout = Console.OpenStandardOutput();
    var buffer = new byte[65536];
    int n;
    while ((n = s.Receive(buffer)) > 0)
        stdout.Write(buffer, 0, n);
    return 0;
}
catch (NetnsSocketException e)
{
    Console.Error.WriteLine($"netnsfs refused: {e.Message} (errno {e.Errno})");
    return 1;
}
