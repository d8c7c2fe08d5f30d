using System.Runtime.InteropServices;
using System.Text;
using NetnsFs.FileSystem;
using NetnsFs.FileSystem.Access;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Abi;
using NetnsFs.Interop;
using NetnsFs.Net.Names;
using NetnsFs.Net.Namespaces;
using NetnsFs.Net.Readiness;
using NetnsFs.UnitTests.Fuse;
using NetnsFs.UnitTests.Support;
using NUnit.Framework;
using Serilog;

namespace NetnsFs.UnitTests.Unmounted;

/// <summary>One entry of a READDIR answer.</summary>
internal sealed record Listed(string Name, ulong Ino, uint Type);

/// <summary>A real <see cref="NetnsFileSystem"/> (a single mount of the namespace this test process
/// is in) driven by the <see cref="FakeKernel"/>: requests go in as the kernel's bytes, answers come
/// back as bytes; no mount, no /dev/fuse, no root. Opening /proc/self/ns/net needs no privilege, and
/// nothing here enters a namespace (no setns: only OPEN makes a socket, and these helpers send none).
/// The filesystem is reached only through its constructor and its FUSE operations, so the helpers
/// survive a reshaping of its insides.</summary>
internal sealed class UnmountedFs : IDisposable
{
    /// <summary>The mount's root (0755) and its socket files (the root's read and write bits), as
    /// DaemonHost makes them for a mount without mode=.</summary>
    public static readonly MountLayout Layout = new(
        TestProcess.Uid, TestProcess.Gid, ModeBits.DirectoryDefault, ModeBits.DirectoryDefault, ModeBits.DirectoryDefault & ModeBits.ReadWrite);

    private readonly ReadinessEngine _engine;
    private readonly NetNamespace _ns;
    private ulong _unique = 100;

    public UnmountedFs()
    {
        var log = new LoggerConfiguration().CreateLogger();
        _engine = new ReadinessEngine(log);
        _ns = NetNamespace.Open("/proc/self/ns/net", "unit test");
        var settings = new FileSystemSettings(
            Layout, _engine, log,
            (_, _) => new ResolverConfig("/etc/hosts", [], TimeSpan.FromSeconds(1), 1),
            RunDirectory: null,
            new AccessPolicy(Layout, allowOther: false, Layout.Uid, Layout.Gid),
            () => "mountpoint=(none: a unit test)",
            SpareNamespaces: 0);
        Fs = new NetnsFileSystem(settings, _ns);
        Kernel = new FakeKernel(Fs);
        var init = Kernel.Init();
        Assert.That(init.Error, Is.Zero, "INIT: " + init);
    }

    public NetnsFileSystem Fs { get; }

    public FakeKernel Kernel { get; }

    private ulong Next() => Interlocked.Increment(ref _unique);

    private FuseReply Ask(FuseOpcode op, ulong node, ReadOnlySpan<byte> body)
    {
        ulong unique = Next();
        Kernel.Send(op, unique, node, body);
        var r = Kernel.Receive();
        Assert.That(r.Unique, Is.EqualTo(unique), $"{op}: the answer is to this request");
        return r;
    }

    private FuseReply Ask<T>(FuseOpcode op, ulong node, in T body) where T : unmanaged =>
        Ask(op, node, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in body)));

    private static Errno ErrnoOf(FuseReply r) => (Errno)(-r.Error);

    private static byte[] NameBytes(string name) => [.. Encoding.UTF8.GetBytes(name), 0];

    /// <summary>LOOKUP of one name: the entry, or the errno.</summary>
    public (Errno Errno, FuseEntryOut Entry) Lookup(ulong parent, string name) => Lookup(parent, NameBytes(name));

    /// <summary>LOOKUP of raw bytes (with their NUL).</summary>
    public (Errno Errno, FuseEntryOut Entry) Lookup(ulong parent, byte[] nameWithNul)
    {
        var r = Ask(FuseOpcode.Lookup, parent, nameWithNul);
        return r.Error != 0 ? (ErrnoOf(r), default) : (0, r.As<FuseEntryOut>());
    }

    /// <summary>LOOKUP of each component of a relative path from the root; the last entry, or the
    /// first errno. Fails the test if a component before the last is refused.</summary>
    public (Errno Errno, FuseEntryOut Entry) LookupPath(string path)
    {
        ulong node = NodeId.Root.Value;
        var parts = path.Split('/');
        for (int i = 0; ; i++)
        {
            var (e, entry) = Lookup(node, parts[i]);
            if (i == parts.Length - 1 || e != 0)
            {
                Assert.That(i == parts.Length - 1 || e == 0, Is.True, $"{string.Join('/', parts[..(i + 1)])}: {e}");
                return (e, entry);
            }
            node = entry.NodeId;
        }
    }

    /// <summary>The node id of a path that must exist.</summary>
    public ulong NodeOf(string path)
    {
        if (path.Length == 0)
            return NodeId.Root.Value;
        var (e, entry) = LookupPath(path);
        Assert.That(e, Is.EqualTo((Errno)0), $"lookup {path}");
        return entry.NodeId;
    }

    public (Errno Errno, FuseAttr Attr) GetAttr(ulong node)
    {
        var r = Ask(FuseOpcode.GetAttr, node, new FuseGetAttrIn());
        return r.Error != 0 ? (ErrnoOf(r), default) : (0, r.As<FuseAttrOut>().Attr);
    }

    /// <summary>`ls -a`: OPENDIR, READDIR until an empty answer (in small chunks, so that offsets
    /// matter), RELEASEDIR.</summary>
    public List<Listed> ReadDir(ulong node, uint chunk = 512)
    {
        var open = Ask(FuseOpcode.OpenDir, node, new FuseOpenIn());
        Assert.That(open.Error, Is.Zero, $"OPENDIR of node {node}: {open}");
        ulong fh = open.As<FuseOpenOut>().Fh;
        var entries = new List<Listed>();
        try
        {
            while (true)
            {
                var r = Ask(FuseOpcode.ReadDir, node, new FuseReadIn { Fh = fh, Offset = (ulong)entries.Count, Size = chunk });
                Assert.That(r.Error, Is.Zero, $"READDIR of node {node} at {entries.Count}: {r}");
                if (r.Payload.Length == 0)
                    return entries;
                for (int at = 0; at < r.Payload.Length;)
                {
                    var d = MemoryMarshal.Read<FuseDirent>(r.Payload.AsSpan(at));
                    entries.Add(new Listed(Encoding.UTF8.GetString(r.Payload, at + FuseConstants.DirentNameOffset, (int)d.NameLen), d.Ino, d.Type));
                    Assert.That(d.Off, Is.EqualTo((ulong)entries.Count), "each entry's offset is the next one's index");
                    at += (FuseConstants.DirentNameOffset + (int)d.NameLen + 7) & ~7;
                }
            }
        }
        finally
        {
            var released = Ask(FuseOpcode.ReleaseDir, node, new FuseReleaseIn { Fh = fh });
            Assert.That(released.Error, Is.Zero, "RELEASEDIR");
        }
    }

    /// <summary>The names `ls -a` shows, in order.</summary>
    public List<string> Ls(string path) => [.. ReadDir(NodeOf(path)).Select(e => e.Name)];

    /// <summary>OPENDIR of something that may not be a directory: its errno.</summary>
    public Errno OpenDir(ulong node)
    {
        var r = Ask(FuseOpcode.OpenDir, node, new FuseOpenIn());
        if (r.Error == 0)
            Ask(FuseOpcode.ReleaseDir, node, new FuseReleaseIn { Fh = r.As<FuseOpenOut>().Fh });
        return ErrnoOf(r);
    }

    public (Errno Errno, string Target) ReadLink(ulong node)
    {
        var r = Ask(FuseOpcode.ReadLink, node, []);
        return r.Error != 0 ? (ErrnoOf(r), "") : (0, Encoding.UTF8.GetString(r.Payload));
    }

    /// <summary>MKDIR of a name under a directory: its errno (0 if made).</summary>
    public Errno MkDir(ulong parent, string name)
    {
        var r = Ask(FuseOpcode.MkDir, parent, FakeKernel.Body(new FuseMkDirIn { Mode = ModeBits.DirectoryDefault }, NameBytes(name)));
        return ErrnoOf(r);
    }

    public void Dispose()
    {
        Kernel.Dispose();
        Assert.That(Kernel.Session.Ended.Wait(TimeSpan.FromSeconds(5)), Is.True, "the session ends when its device goes");
        _engine.Dispose();
        // The session's end called Destroy, which dropped the namespace with its view; this is
        // for a filesystem that never got that far (NetNamespace.Dispose is idempotent).
        _ns.Dispose();
    }
}
