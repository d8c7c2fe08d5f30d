using NetnsFs.Interop;
using NetnsFs.Net.Sockets;

namespace NetnsFs.Net.Namespaces;

/// <summary>Does, inside a network namespace this process cannot enter, the few things that need
/// a thread inside (a process that lives there answers). For a user without root, a namespace of a
/// user namespace it owns (`unshare -Urn`, rootless Podman): only a process that joined that user
/// namespace may enter it, and only a single-threaded one can join. A socket, once made, works
/// from anywhere: connect, bind and listen act in the socket's own namespace.</summary>
public interface INamespaceProxy : IDisposable
{
    /// <summary>socket(2) there (non-blocking, close-on-exec): the fd, or -1 and the errno.</summary>
    int Socket(SocketKind kind, out Errno errno);

    /// <summary>A /proc/sys/net or /proc/thread-self/net file as read there; null if unreadable.</summary>
    string? Read(string path);
}
