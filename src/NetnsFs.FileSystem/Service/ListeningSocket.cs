using NetnsFs.FileSystem.Paths;
using NetnsFs.Interop;
using NetnsFs.Net;
using NetnsFs.Net.Identity;
using NetnsFs.Net.Namespaces;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Service;

/// <summary>socket, bind, listen of a listen path, the same for the mount's shared listeners and
/// for a listening socket handed to its caller.</summary>
internal static class ListeningSocket
{
    /// <summary>The kernel caps it at net.core.somaxconn anyway.</summary>
    private const int Backlog = 4096;

    /// <summary>A socket listening inside <paramref name="ns"/>, made and bound as
    /// <paramref name="owner"/> (the kernel checks a low port against the caller). "All addresses"
    /// is one dual-stack IPv6 socket; where the namespace has no IPv6 it falls back to 0.0.0.0.
    /// Throws <see cref="NetException"/> with the errno to answer.</summary>
    public static NetSocket Open(NetNamespace ns, ListenRecipe recipe, Caller owner)
    {
        var bind = recipe.Bind;
        var kind = recipe.Kind;
        NetSocket socket;
        try
        {
            socket = NetSocket.Create(ns, kind, owner);
        }
        catch (NetException e) when (recipe.DualStack && e.Errno == Errno.EAFNOSUPPORT)
        {
            bind = SockAddr.FromIp(System.Net.IPAddress.Any, recipe.Bind.Port);
            socket = NetSocket.Create(ns, kind with { Family = SocketKind.AF_INET }, owner);
        }
        if (socket.Kind.Family != SocketKind.AF_UNIX)
            socket.ReuseAddress();
        if (recipe.DualStack && socket.Kind.Family == SocketKind.AF_INET6)
            socket.AcceptIPv4Too();
        var e2 = socket.BindAndListen(in bind, Backlog, owner);
        if (e2 != 0)
        {
            socket.Dispose();
            throw new NetException(e2, $"listen on {recipe.Key}: {e2}");
        }
        return socket;
    }
}
