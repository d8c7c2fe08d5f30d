using System.Text;
using Mono.Unix.Native;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.Net.Sockets;

namespace NetnsFs.FileSystem.Paths;

/// <summary>What each name in the mount means. Root: the seed's triples, tcp/, udp/, unix/, and the
/// fixed files. tcp/HOST/PORT and udp/HOST/PORT dial; unix/@NAME dials an abstract socket of the
/// namespace. Every refusal is a precise errno: ENOENT for a name that cannot exist, EINVAL for a
/// value out of range (port 65536), EPROTONOSUPPORT/EAFNOSUPPORT for an unsupported triple.</summary>
public sealed class PathGrammar(MountLayout layout)
{
    /// <summary>Longest name component the kernel passes (NAME_MAX).</summary>
    public const int NameMax = 255;

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
            return Errno.ENOENT; // not UTF-8: no socket name can be spelled that way
        }
        switch (dir.Role)
        {
            case DirectoryRole.Root:
                return ResolveRoot(dir, name, out make);
            case DirectoryRole.Transport:
                if (!HostName.IsWellFormed(name))
                    return Errno.ENOENT;
                make = () => new DirectoryNode(name, dir, DirectoryRole.Host, layout.DirPermissions) { Transport = dir.Transport, Host = name };
                return 0;
            case DirectoryRole.Host:
                return ResolvePort(dir, name, out make);
            case DirectoryRole.Unix:
                return ResolveUnix(dir, name, rawName, out make);
            default:
                return Errno.ENOENT;
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private Errno ResolveRoot(DirectoryNode root, string name, out Func<Node>? make)
    {
        make = null;
        if (SocketTriple.LooksLikeTriple(name))
        {
            var e = SocketTriple.TryParse(name, out var kind);
            if (e != 0)
                return e;
            make = () => new SocketFileNode(name, root, new TripleRecipe(kind), layout.FilePermissions);
            return 0;
        }
        return Errno.ENOENT; // the fixed entries are pinned nodes found before the grammar is asked
    }

    private Errno ResolvePort(DirectoryNode hostDir, string name, out Func<Node>? make)
    {
        make = null;
        var e = HostName.TryParsePort(name, out int port);
        if (e != 0)
            return e;
        var kind = hostDir.Transport == "udp"
            ? new SocketKind(0, SocketKind.SOCK_DGRAM, 17)
            : new SocketKind(0, SocketKind.SOCK_STREAM, 6);
        string host = hostDir.Host!;
        make = () => new SocketFileNode(name, hostDir, new DialRecipe(kind, default, $"{hostDir.Transport}/{host}/{port}") { Host = host, Port = port }, layout.FilePermissions);
        return 0;
    }

    private Errno ResolveUnix(DirectoryNode unixDir, string name, ReadOnlySpan<byte> rawName, out Func<Node>? make)
    {
        make = null;
        if (name.Length < 2 || name[0] != '@')
            return Errno.ENOENT; // only abstract names: a path name would reach the daemon's filesystem view
        if (rawName.Length - 1 > SockAddr.MaxAbstractName)
            return Errno.ENAMETOOLONG;
        var target = SockAddr.AbstractUnix(rawName[1..]);
        make = () => new SocketFileNode(name, unixDir, new DialRecipe(new SocketKind(SocketKind.AF_UNIX, SocketKind.SOCK_STREAM, 0), target, "unix/" + name), layout.FilePermissions);
        return 0;
    }
}

/// <summary>Owner and permission bits of the mount's nodes (from the mount options).</summary>
public sealed record MountLayout(uint Uid, uint Gid, uint RootPermissions, uint DirPermissions, uint FilePermissions);
