using NetnsFs.FileSystem.Files;
using NetnsFs.FileSystem.Limits;
using NetnsFs.Interop;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Service;

/// <summary>What <see cref="SocketService"/> answers: exactly one of a socket, the mount's shared
/// listener (only <see cref="SocketService.OpenShared"/> gives one) or an errno, each with a
/// message: why it was refused, or what the socket is (for the log, conn/N/path, a handoff reply).</summary>
public readonly record struct SocketResult
{
    private SocketResult(Errno error, string message, NetSocket? socket, bool connecting, Listener? listener, Charge? charge)
    {
        Error = error;
        Message = message;
        Socket = socket;
        Connecting = connecting;
        Listener = listener;
        Charge = charge;
    }

    /// <summary>0 for a socket or a listener; else why there is neither.</summary>
    public Errno Error { get; }

    /// <summary>Why it was refused; for a socket, what it is ("tcp/127.0.0.1/80", "listening on …").</summary>
    public string Message { get; }

    /// <summary>The socket made: the front end's to keep or hand over (and to close).</summary>
    public NetSocket? Socket { get; }

    /// <summary>The socket's connect is still under way (a make that did not wait for it).</summary>
    public bool Connecting { get; }

    /// <summary>The mount's listener of a listen path, to accept one connection from.</summary>
    public Listener? Listener { get; }

    /// <summary>The socket's count among its caller's socket files, for a front end that keeps the
    /// socket (the FUSE one): owned by what holds the socket (<see cref="Limits.Charge.Own"/>),
    /// disposed if the socket is closed at once.</summary>
    public Charge? Charge { get; }

    public bool Failed => Error != 0;

    public static SocketResult Refused(Errno error, string message) =>
        new(error == 0 ? throw new ArgumentOutOfRangeException(nameof(error)) : error, message, null, false, null, null);

    public static SocketResult Made(NetSocket socket, string message, bool connecting = false, Charge? charge = null) =>
        new(0, message, socket, connecting, null, charge);

    public static SocketResult Shared(Listener listener) => new(0, listener.LocalAddress.ToString(), null, false, listener, null);
}
