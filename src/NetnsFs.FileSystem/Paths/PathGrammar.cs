using NetnsFs.Net.Identity;
using System.Net;
using System.Text;
using Mono.Unix.Native;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Paths;

/// <summary>What each name in the mount means.
/// <list type="bullet">
/// <item>root: the seed's FAMILY;TYPE;PROTOCOL triples, and the fixed tcp/, udp/, unix/, conn/, net/, ns, status;</item>
/// <item>tcp/HOST/PORT, udp/HOST/PORT: dial; unix/@NAME: dial an abstract socket of the namespace;</item>
/// <item>tcp/listen/PORT, tcp/listen/ADDR/PORT, unix/listen/@NAME: listen, and accept one per open;</item>
/// <item>conn/N/: one open socket (local, remote, state, path, ctl); net/: the namespace's /proc/net.</item>
/// </list>
/// Every refusal is a precise errno: ENOENT for a name that cannot exist, EINVAL for a value out of
/// range (port 65536), ENAMETOOLONG, EAFNOSUPPORT/EPROTONOSUPPORT for an unsupported triple.
/// "listen" is reserved under tcp/ and unix/; conn/ and net/ are at the root, where no HOST can be.</summary>
public sealed class PathGrammar(MountLayout layout, IConnectionView connections)
{
    /// <summary>Longest name component the kernel passes (NAME_MAX).</summary>
    public const int NameMax = 255;

    /// <summary>The /proc/net tables shown under net/.</summary>
    public static readonly string[] ProcNetFiles =
    [
        "dev", "snmp", "snmp6", "netstat", "sockstat", "sockstat6", "tcp", "tcp6", "udp", "udp6", "raw", "raw6",
        "unix", "route", "ipv6_route", "if_inet6", "arp", "igmp", "packet", "protocols", "dev_mcast",
    ];

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public Errno Resolve(DirectoryNode dir, ReadOnlySpan<byte> rawName, out Func<Node>? make)
    {
        make = null;
        if (rawName.Length > NameMax)
            return Errno.ENAMETOOLONG;
        string name;
        try
        {
            name = StrictUtf8.GetString(rawName);
        }
        catch (DecoderFallbackException)
        {
            return Errno.ENOENT; // not UTF-8: no socket name is spelled that way
        }
        return dir.Role switch
        {
            DirectoryRole.Root => ResolveRoot(dir, name, out make),
            DirectoryRole.MultiRoot => Errno.ENOENT, // namespaces exist by mkdir or attach, never by lookup
            DirectoryRole.Transport => ResolveHost(dir, name, out make),
            DirectoryRole.Host => ResolvePort(dir, name, out make),
            DirectoryRole.Unix => ResolveUnix(dir, name, rawName, listen: false, out make),
            DirectoryRole.UnixListen => ResolveUnix(dir, name, rawName, listen: true, out make),
            DirectoryRole.Listen => ResolveListen(dir, name, out make),
            DirectoryRole.ListenAddress => ResolveListenPort(dir, name, dir.Host!, out make),
            DirectoryRole.Connections => ResolveConnection(dir, name, out make),
            DirectoryRole.Connection => ResolveConnectionFile(dir, name, out make),
            DirectoryRole.ProcNet => ResolveProcNet(dir, name, out make),
            _ => Errno.ENOENT,
        };
    }

    private Errno ResolveRoot(DirectoryNode root, string name, out Func<Node>? make)
    {
        make = null;
        if (!SocketTriple.LooksLikeTriple(name))
            return Errno.ENOENT; // the fixed entries are pinned nodes, found before the grammar is asked
        var e = SocketTriple.TryParse(name, out var kind);
        if (e != 0)
            return e;
        make = () => new SocketFileNode(name, root, new TripleRecipe(kind), layout.FilePermissions);
        return 0;
    }

    private Errno ResolveHost(DirectoryNode dir, string name, out Func<Node>? make)
    {
        make = null;
        if (!HostName.IsWellFormed(name))
            return Errno.ENOENT;
        make = () => new DirectoryNode(name, dir, DirectoryRole.Host, layout.DirPermissions) { Transport = dir.Transport, Host = name };
        return 0;
    }

    private static SocketKind TransportKind(string? transport) => transport == "udp"
        ? new SocketKind(0, SocketKind.SOCK_DGRAM, 17)
        : new SocketKind(0, SocketKind.SOCK_STREAM, 6);

    private Errno ResolvePort(DirectoryNode hostDir, string name, out Func<Node>? make)
    {
        make = null;
        var e = HostName.TryParsePort(name, out int port);
        if (e != 0)
            return e;
        var kind = TransportKind(hostDir.Transport);
        string host = hostDir.Host!;
        string display = $"{hostDir.Transport}/{host}/{port}";
        make = () => new SocketFileNode(name, hostDir, new DialRecipe(kind, default, display) { Host = host, Port = port }, layout.FilePermissions);
        return 0;
    }

    private Errno ResolveUnix(DirectoryNode dir, string name, ReadOnlySpan<byte> rawName, bool listen, out Func<Node>? make)
    {
        make = null;
        if (name.Length < 2 || name[0] != '@')
            return Errno.ENOENT; // abstract names only: a path would reach the daemon's own filesystem view
        if (rawName.Length - 1 > SockAddr.MaxAbstractName)
            return Errno.ENAMETOOLONG;
        var address = SockAddr.AbstractUnix(rawName[1..]);
        var kind = new SocketKind(SocketKind.AF_UNIX, SocketKind.SOCK_STREAM, 0);
        SocketRecipe recipe = listen
            ? new ListenRecipe(kind, address, "unix/" + name, DualStack: false)
            : new DialRecipe(kind, address, "unix/" + name);
        make = () => new SocketFileNode(name, dir, recipe, layout.FilePermissions);
        return 0;
    }

    private Errno ResolveListen(DirectoryNode dir, string name, out Func<Node>? make)
    {
        make = null;
        if (name.Length > 0 && name.All(char.IsAsciiDigit))
            return ResolveListenPort(dir, name, "*", out make);
        if (!IPAddress.TryParse(name, out _) || HostName.TryResolve(name, out _) != 0)
            return Errno.ENOENT;
        make = () => new DirectoryNode(name, dir, DirectoryRole.ListenAddress, layout.DirPermissions) { Transport = dir.Transport, Host = name };
        return 0;
    }

    private Errno ResolveListenPort(DirectoryNode dir, string name, string address, out Func<Node>? make)
    {
        make = null;
        var e = HostName.TryParseListenPort(name, out int port);
        if (e != 0)
            return e;
        var kind = TransportKind(dir.Transport);
        SockAddr bind;
        bool dual = address == "*";
        if (dual)
            bind = SockAddr.FromIp(IPAddress.IPv6Any, port);
        else
        {
            HostName.TryResolve(address, out var ip);
            bind = SockAddr.FromIp(ip, port);
        }
        kind = kind with { Family = bind.Family };
        string key = $"{dir.Transport}/{address}/{port}";
        make = () => new SocketFileNode(name, dir, new ListenRecipe(kind, bind, key, dual), layout.FilePermissions);
        return 0;
    }

    private Errno ResolveConnection(DirectoryNode dir, string name, out Func<Node>? make)
    {
        make = null;
        if (!ulong.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong handle) ||
            name != handle.ToString(System.Globalization.CultureInfo.InvariantCulture) || !connections.Exists(handle))
            return Errno.ENOENT;
        make = () => new DirectoryNode(name, dir, DirectoryRole.Connection, layout.DirPermissions) { Handle = handle };
        return 0;
    }

    private Errno ResolveConnectionFile(DirectoryNode dir, string name, out Func<Node>? make)
    {
        make = null;
        ulong h = dir.Handle;
        if (name == "ctl")
        {
            make = () => new TextFileNode(name, dir, _ => "", layout.FilePermissions & 0x192) { Control = cmd => connections.Control(h, cmd) };
            return 0;
        }
        if (Array.IndexOf(IConnectionView.Files, name) < 0)
            return Errno.ENOENT;
        make = () => new TextFileNode(name, dir, _ => connections.Describe(h, name), layout.FilePermissions & 0x124);
        return 0;
    }

    private Errno ResolveProcNet(DirectoryNode dir, string name, out Func<Node>? make)
    {
        make = null;
        if (Array.IndexOf(ProcNetFiles, name) < 0)
            return Errno.ENOENT;
        var view = dir.View!;
        make = () => new TextFileNode(name, dir, caller => connections.ReadProcNet(view, name, caller), layout.FilePermissions & 0x124);
        return 0;
    }
}

/// <summary>Owner and permission bits of the mount's nodes (from the mount options).</summary>
public sealed record MountLayout(uint Uid, uint Gid, uint RootPermissions, uint DirPermissions, uint FilePermissions);

/// <summary>What the grammar needs to know about live sockets: the filesystem answers.</summary>
public interface IConnectionView
{
    /// <summary>The read-only files of a conn/N/ directory (ctl is writable).</summary>
    public static readonly string[] Files = ["local", "remote", "state", "path", "owner"];

    bool Exists(ulong handle);

    string Describe(ulong handle, string file);

    Errno Control(ulong handle, string command);

    string ReadProcNet(NamespaceView view, string file, Caller caller);
}
