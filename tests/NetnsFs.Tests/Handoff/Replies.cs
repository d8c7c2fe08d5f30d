using System.Net.Sockets;
using System.Text;

namespace NetnsFs.Tests.Handoff;

/// <summary>How the handoff tests read a server's answer from a socket they were handed.</summary>
internal static class Replies
{
    /// <summary>All the server sent until it closed (an `id` server of SocketKit.ServersPy sends its
    /// tag and a newline, then closes), without the newline; each receive waits 10 s at most, so a
    /// server that never closes fails the test instead of hanging it.</summary>
    public static string ReadAll(Socket s)
    {
        s.ReceiveTimeout = 10000;
        var buf = new byte[256];
        var sb = new StringBuilder();
        int n;
        while ((n = s.Receive(buf)) > 0)
            sb.Append(Encoding.UTF8.GetString(buf, 0, n));
        return sb.ToString().TrimEnd('\n');
    }
}
