namespace NetnsFs.FileSystem.Files;

/// <summary>conn/N's address and state files, read under the socket's lock: the socket is closed
/// (and its fd number free for reuse by another user's socket) only under that lock, so a
/// description never reads the addresses of an fd that is no longer this socket.</summary>
public sealed partial class SocketFile
{
    /// <summary>The text of conn/N/<paramref name="file"/> ("local", "remote", "state"), or null
    /// if the socket is closed or the file is none of these.</summary>
    public string? DescribeSocket(string file)
    {
        lock (_lock)
        {
            if (Socket.IsClosed)
                return null;
            return file switch
            {
                "local" => Socket.LocalAddress().ToString(),
                "remote" => Socket.RemoteAddress().ToString(),
                "state" => _connecting ? "CONNECTING" : Socket.StateName(),
                _ => null,
            };
        }
    }
}
