using NetnsFs.Interop;
using NetnsFs.Net.Readiness;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Files;

/// <summary>What a <see cref="WriteQueue"/> needs of its socket: sending without waiting, and how
/// the socket's close ends the connection.</summary>
internal interface IWriteSocket
{
    /// <summary>A datagram or seqpacket socket: a send that took anything took the whole message.</summary>
    bool KeepsMessageBoundaries { get; }

    /// <summary>send(2) without waiting: bytes taken, or a negative errno (EAGAIN: the socket is full).</summary>
    int Send(ReadOnlySpan<byte> data);

    /// <summary>Whether the connection failed already (POLLERR or POLLHUP now).</summary>
    bool HasFailed();

    /// <summary>SO_LINGER 0: the socket's close resets the connection.</summary>
    void ResetOnClose();

    /// <summary>SO_LINGER off: the socket's close ends the connection cleanly.</summary>
    Errno CloseNormally();

    Errno Shutdown(int how);
}

/// <summary>A socket file's socket, as its write queue uses it.</summary>
internal sealed class SocketWriteSide(NetSocket socket) : IWriteSocket
{
    public bool KeepsMessageBoundaries => socket.Kind.KeepsMessageBoundaries;

    public int Send(ReadOnlySpan<byte> data) => socket.Send(data);

    public bool HasFailed() => (socket.PollNow(IoEvents.Err | IoEvents.Hup) & (IoEvents.Err | IoEvents.Hup)) != 0;

    public void ResetOnClose() => socket.ResetOnClose();

    public Errno CloseNormally() => socket.CloseNormally();

    public Errno Shutdown(int how) => socket.Shutdown(how);
}
