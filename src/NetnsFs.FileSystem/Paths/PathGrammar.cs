using System.Globalization;
using System.Net;
using System.Text;
using NetnsFs.Interop;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Paths;

/// <summary>What each name in the mount means: a pure function of the directory's meaning and the
/// name, answering a <see cref="PathMeaning"/> or an errno, never asking the filesystem.
/// <list type="bullet">
/// <item>a namespace's directory: one directory per row of <see cref="TransportTable"/> (tcp/,
/// udp/, unix/, mptcp/), conn/, net/, ns, status, handoff, and FAMILY;TYPE;PROTOCOL socket-triple files;</item>
/// <item>TRANSPORT/HOST/PORT: dial; unix/@NAME: dial an abstract socket of the namespace;</item>
/// <item>TRANSPORT/listen/PORT, TRANSPORT/listen/ADDR/PORT, unix/listen/@NAME: listen, and accept one per open;</item>
/// <item>conn/N/: one open socket (local, remote, state, path, owner, ctl); net/: the namespace's /proc/net.</item>
/// </list>
/// Every refusal is a precise errno: ENOENT for a name that cannot exist, EINVAL for a value out of
/// range (port 65536), ENAMETOOLONG, EAFNOSUPPORT/EPROTONOSUPPORT for an unsupported triple.
/// "listen" is reserved under transports that listen; conn/ and net/ are at the root, where no
/// HOST can be. conn/self is the filesystem's: what it means depends on who asks.</summary>
/// <param name="hasHandoff">Whether the namespaces have a handoff socket (the daemon has a run directory).</param>
public sealed class PathGrammar(bool hasHandoff)
{
    /// <summary>Longest name component the kernel passes (NAME_MAX).</summary>
    public const int NameMax = 255;

    public const string ListenName = "listen";
    public const string ConnectionsName = "conn";
    public const string ProcNetName = "net";
    public const string NamespaceLinkName = "ns";
    public const string StatusName = "status";
    public const string HandoffLinkName = NetnsFs.Client.HandoffWire.LinkName;

    /// <summary>conn/N/ctl: written, not read.</summary>
    public const string ControlFile = "ctl";

    /// <summary>The files of a conn/N/ directory, in listing order (ctl is writable, the others read).</summary>
    public static readonly string[] ConnectionFiles = ["local", "remote", "state", "path", "owner", ControlFile];

    /// <summary>The /proc/net tables shown under net/.</summary>
    public static readonly string[] ProcNetFiles =
    [
        "dev", "snmp", "snmp6", "netstat", "sockstat", "sockstat6", "tcp", "tcp6", "udp", "udp6", "raw", "raw6",
        "unix", "route", "ipv6_route", "if_inet6", "arp", "igmp", "packet", "protocols", "dev_mcast",
    ];

    private static readonly (string Name, PathMeaning Meaning)[] NoEntries = [];
    private static readonly (string Name, PathMeaning Meaning)[] MultiRootEntries = [(StatusName, new FixedFile(FixedFileKind.Status))];

    private readonly (string Name, PathMeaning Meaning)[] _rootEntries =
    [
        .. TransportTable.Rows.Select(t => (t.Name, (PathMeaning)new TransportDirectory(t))),
        (ConnectionsName, ConnectionsDirectory.Instance),
        (ProcNetName, ProcNetDirectory.Instance),
        (NamespaceLinkName, new FixedFile(FixedFileKind.NamespaceLink)),
        (StatusName, new FixedFile(FixedFileKind.Status)),
        .. hasHandoff ? [(HandoffLinkName, new FixedFile(FixedFileKind.HandoffLink))] : NoEntries,
    ];

    /// <summary>The fixed entries of <paramref name="dir"/>, in listing order: what the filesystem
    /// makes (pinned) when it adds a namespace, and what <see cref="Resolve(DirectoryMeaning, string, out PathMeaning?)"/>
    /// answers for those names.</summary>
    public IReadOnlyList<(string Name, PathMeaning Meaning)> FixedEntries(DirectoryMeaning dir) => dir switch
    {
        NamespaceDirectory => _rootEntries,
        MultiRootDirectory => MultiRootEntries,
        TransportDirectory { Transport.CanListen: true } t => [(ListenName, new ListenDirectory(t.Transport))],
        _ => NoEntries,
    };

    /// <summary>What `ls` shows in <paramref name="dir"/> that does not depend on live state: the
    /// fixed entries, then the common socket-triple files at a namespace's root, the files of
    /// conn/N/, the tables of net/. (Listeners, open sockets and namespaces are the filesystem's.)</summary>
    public IEnumerable<(string Name, PathMeaning Meaning)> Listed(DirectoryMeaning dir)
    {
        foreach (var entry in FixedEntries(dir))
            yield return entry;
        var names = dir switch
        {
            NamespaceDirectory => SocketTriple.Common,
            ConnectionDirectory => ConnectionFiles,
            ProcNetDirectory => ProcNetFiles,
            _ => [],
        };
        foreach (var name in names)
        {
            if (Resolve(dir, name, out var meaning) == 0)
                yield return (name, meaning!);
        }
    }

    /// <summary>The meaning of the name the kernel passes (any bytes).</summary>
    public Errno Resolve(DirectoryMeaning dir, ReadOnlySpan<byte> rawName, out PathMeaning? meaning)
    {
        meaning = null;
        if (rawName.Length > NameMax)
            return Errno.ENAMETOOLONG;
        if (!System.Text.Unicode.Utf8.IsValid(rawName))
            return Errno.ENOENT; // not UTF-8: no socket name is spelled that way
        return Resolve(dir, Encoding.UTF8.GetString(rawName), out meaning);
    }

    /// <summary>The meaning of <paramref name="name"/> in <paramref name="dir"/>, or the errno a
    /// lookup of it gets.</summary>
    public Errno Resolve(DirectoryMeaning dir, string name, out PathMeaning? meaning)
    {
        meaning = null;
        if (Encoding.UTF8.GetByteCount(name) > NameMax)
            return Errno.ENAMETOOLONG;
        foreach (var (fixedName, fixedMeaning) in FixedEntries(dir))
        {
            if (fixedName == name)
            {
                meaning = fixedMeaning;
                return 0;
            }
        }
        (Errno e, meaning) = dir switch
        {
            NamespaceDirectory => Triple(name),
            TransportDirectory { Transport.Address: AddressForm.HostAndPort } t => Host(t.Transport, name),
            TransportDirectory t => AbstractName(t.Transport, name, listen: false),
            HostDirectory h => Port(h, name),
            ListenDirectory { Transport.Address: AddressForm.HostAndPort } l => ListenEntry(l.Transport, name),
            ListenDirectory l => AbstractName(l.Transport, name, listen: true),
            ListenAddressDirectory a => ListenPort(a.Transport, a.Address, name),
            ConnectionsDirectory => Connection(name),
            ConnectionDirectory c => Array.IndexOf(ConnectionFiles, name) >= 0 ? Found(new ConnectionFile(c.Handle, name)) : NotFound,
            ProcNetDirectory => Array.IndexOf(ProcNetFiles, name) >= 0 ? Found(new ProcNetFile(name)) : NotFound,
            _ => NotFound, // the multi root: namespaces exist by mkdir or attach, never by lookup
        };
        return e;
    }

    /// <summary>Where a listener shows in `ls` of <paramref name="dir"/>: tcp/*/PORT as PORT in
    /// tcp/listen/, tcp/ADDR/PORT as the directory ADDR there and as PORT in tcp/listen/ADDR/,
    /// unix/@NAME as @NAME in unix/listen/. False where it does not show.</summary>
    public static bool ListsListener(DirectoryMeaning dir, ListenerKey key, out string name)
    {
        name = "";
        switch (dir)
        {
            case ListenDirectory l when l.Transport == key.Transport:
                name = l.Transport.Address == AddressForm.AbstractName || key.Address != ListenerKey.AllAddresses
                    ? key.Address
                    : key.Port.ToString(CultureInfo.InvariantCulture);
                return true;
            case ListenAddressDirectory a when a.Transport == key.Transport && a.Address == key.Address:
                name = key.Port.ToString(CultureInfo.InvariantCulture);
                return true;
            default:
                return false;
        }
    }

    private static readonly (Errno, PathMeaning?) NotFound = (Errno.ENOENT, null);

    private static (Errno, PathMeaning?) Found(PathMeaning meaning) => (0, meaning);

    private static (Errno, PathMeaning?) Triple(string name)
    {
        if (!SocketTriple.LooksLikeTriple(name))
            return NotFound;
        var e = SocketTriple.TryParse(name, out var kind);
        return e != 0 ? (e, null) : Found(new TripleRecipe(kind));
    }

    private static (Errno, PathMeaning?) Host(Transport transport, string name) =>
        HostName.IsWellFormed(name) ? Found(new HostDirectory(transport, name)) : NotFound;

    private static (Errno, PathMeaning?) Port(HostDirectory dir, string name)
    {
        var e = HostName.TryParsePort(name, out int port);
        if (e != 0)
            return (e, null);
        var t = dir.Transport;
        string display = string.Create(CultureInfo.InvariantCulture, $"{t.Name}/{dir.Host}/{port}");
        return Found(new HostDialRecipe(t.KindFor(t.DialFamily), dir.Host, port, display));
    }

    private static (Errno, PathMeaning?) AbstractName(Transport transport, string name, bool listen)
    {
        if (name.Length < 2 || name[0] != '@')
            return NotFound; // abstract names only: a path would reach the daemon's own filesystem view
        var raw = Encoding.UTF8.GetBytes(name);
        if (raw.Length - 1 > SockAddr.MaxAbstractName)
            return (Errno.ENAMETOOLONG, null);
        var address = SockAddr.AbstractUnix(raw.AsSpan(1));
        var kind = transport.KindFor(SocketKind.AF_UNIX);
        return Found(listen
            ? new ListenRecipe(kind, address, ListenerKey.Named(transport, name), DualStack: false)
            : new AddressDialRecipe(kind, address, $"{transport.Name}/{name}"));
    }

    private static (Errno, PathMeaning?) ListenEntry(Transport transport, string name)
    {
        if (name.Length > 0 && name.All(char.IsAsciiDigit))
            return ListenPort(transport, ListenerKey.AllAddresses, name);
        if (!IPAddress.TryParse(name, out _) || HostName.TryResolve(name, out _) != 0)
            return NotFound;
        return Found(new ListenAddressDirectory(transport, name));
    }

    private static (Errno, PathMeaning?) ListenPort(Transport transport, string address, string name)
    {
        var e = HostName.TryParseListenPort(name, out int port);
        if (e != 0)
            return (e, null);
        bool dual = address == ListenerKey.AllAddresses;
        SockAddr bind;
        if (dual)
        {
            bind = SockAddr.FromIp(IPAddress.IPv6Any, port);
        }
        else
        {
            HostName.TryResolve(address, out var ip);
            bind = SockAddr.FromIp(ip, port);
        }
        return Found(new ListenRecipe(transport.KindFor(bind.Family), bind, ListenerKey.OnPort(transport, address, port), dual));
    }

    private static (Errno, PathMeaning?) Connection(string name) =>
        ulong.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out ulong handle) &&
        name == handle.ToString(CultureInfo.InvariantCulture)
            ? Found(new ConnectionDirectory(handle))
            : NotFound;
}
