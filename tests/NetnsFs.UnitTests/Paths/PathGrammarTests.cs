using NetnsFs.FileSystem.Paths;
using NetnsFs.Interop;
using NetnsFs.Net.Sockets;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Paths;

/// <summary>The grammar's meaning of names in every directory role, and the errno of every refusal.</summary>
public class PathGrammarTests
{
    private static readonly PathGrammar Grammar = new(hasHandoff: true);

    /// <summary>Resolves a path from a namespace's directory, one component at a time, as the
    /// kernel's walk (and the handoff's) does.</summary>
    private static Errno Walk(string path, out PathMeaning? meaning)
    {
        meaning = NamespaceDirectory.Instance;
        foreach (var part in path.Split('/'))
        {
            if (meaning is not DirectoryMeaning dir)
                return Errno.ENOTDIR;
            var e = Grammar.Resolve(dir, part, out meaning);
            if (e != 0)
                return e;
        }
        return 0;
    }

    private static PathMeaning Meaning(string path)
    {
        Assert.That(Walk(path, out var meaning), Is.EqualTo((Errno)0), path);
        return meaning!;
    }

    [TestCase("tcp", DirectoryRole.Transport)]
    [TestCase("udp", DirectoryRole.Transport)]
    [TestCase("mptcp", DirectoryRole.Transport)]
    [TestCase("unix", DirectoryRole.Unix)]
    [TestCase("tcp/127.0.0.1", DirectoryRole.Host)]
    [TestCase("mptcp/example.internal", DirectoryRole.Host)]
    [TestCase("tcp/listen", DirectoryRole.Listen)]
    [TestCase("mptcp/listen", DirectoryRole.Listen)]
    [TestCase("tcp/listen/::1", DirectoryRole.ListenAddress)]
    [TestCase("unix/listen", DirectoryRole.UnixListen)]
    [TestCase("conn", DirectoryRole.Connections)]
    [TestCase("conn/42", DirectoryRole.Connection)]
    [TestCase("net", DirectoryRole.ProcNet)]
    public void Every_directory_role_is_reached_by_its_path(string path, DirectoryRole role) =>
        Assert.That(((DirectoryMeaning)Meaning(path)).Role, Is.EqualTo(role));

    [Test]
    public void A_directory_carries_what_its_children_are_read_by()
    {
        Assert.That(Meaning("udp/db.lan"), Is.EqualTo(new HostDirectory(TransportTable.Udp, "db.lan")));
        Assert.That(Meaning("mptcp/listen/127.0.0.1"), Is.EqualTo(new ListenAddressDirectory(TransportTable.Mptcp, "127.0.0.1")));
        Assert.That(Meaning("conn/7"), Is.EqualTo(new ConnectionDirectory(7)));
        Assert.That(Meaning("unix"), Is.EqualTo(new TransportDirectory(TransportTable.Unix)));
    }

    [Test]
    public void The_multi_root_has_status_and_nothing_a_lookup_can_make()
    {
        Assert.That(Grammar.Resolve(MultiRootDirectory.Instance, "status", out var status), Is.EqualTo((Errno)0));
        Assert.That(status, Is.EqualTo(new FixedFile(FixedFileKind.Status)));
        Assert.That(Grammar.Resolve(MultiRootDirectory.Instance, "h1", out _), Is.EqualTo(Errno.ENOENT), "namespaces exist by mkdir, not by lookup");
        Assert.That(Grammar.Resolve(MultiRootDirectory.Instance, "tcp", out _), Is.EqualTo(Errno.ENOENT));
    }

    [Test]
    public void A_dial_path_is_a_host_dial_of_its_row()
    {
        var tcp = (HostDialRecipe)Meaning("tcp/localhost/80");
        Assert.That((tcp.Kind, tcp.Host, tcp.Port, tcp.Display), Is.EqualTo((new SocketKind(0, SocketKind.SOCK_STREAM, 6), "localhost", 80, "tcp/localhost/80")));
        Assert.That(tcp.NeedsLookup, Is.False, "localhost is known without asking");
        var udp = (HostDialRecipe)Meaning("udp/10.0.0.1/53");
        Assert.That(udp.Kind, Is.EqualTo(new SocketKind(0, SocketKind.SOCK_DGRAM, 17)));
        var mptcp = (HostDialRecipe)Meaning("mptcp/::1/8080");
        Assert.That((mptcp.Kind, mptcp.Display), Is.EqualTo((new SocketKind(0, SocketKind.SOCK_STREAM, SocketKind.IPPROTO_MPTCP), "mptcp/::1/8080")));
        Assert.That(((HostDialRecipe)Meaning("tcp/db.internal/5432")).NeedsLookup, Is.True, "a name is looked up inside the namespace");
    }

    [Test]
    public void An_abstract_dial_has_its_address_from_the_path()
    {
        var d = (AddressDialRecipe)Meaning("unix/@svc");
        Assert.That(d.Kind, Is.EqualTo(new SocketKind(SocketKind.AF_UNIX, SocketKind.SOCK_STREAM, 0)));
        Assert.That(d.Target.Family, Is.EqualTo(SocketKind.AF_UNIX));
        Assert.That(d.Display, Is.EqualTo("unix/@svc"));
    }

    [Test]
    public void A_listen_path_is_a_listen_recipe_with_its_key()
    {
        var all = (ListenRecipe)Meaning("tcp/listen/8080");
        Assert.That((all.Key.Text, all.DualStack, all.Bind.Family, all.Bind.Port), Is.EqualTo(("tcp/*/8080", true, SocketKind.AF_INET6, 8080)));
        Assert.That(all.Kind, Is.EqualTo(new SocketKind(SocketKind.AF_INET6, SocketKind.SOCK_STREAM, 6)));
        var one = (ListenRecipe)Meaning("tcp/listen/127.0.0.1/0");
        Assert.That((one.Key.Text, one.DualStack, one.Bind.Family, one.Bind.Port), Is.EqualTo(("tcp/127.0.0.1/0", false, SocketKind.AF_INET, 0)));
        var m = (ListenRecipe)Meaning("mptcp/listen/::1/9000");
        Assert.That((m.Key.Text, m.Kind), Is.EqualTo(("mptcp/::1/9000", new SocketKind(SocketKind.AF_INET6, SocketKind.SOCK_STREAM, SocketKind.IPPROTO_MPTCP))));
        var u = (ListenRecipe)Meaning("unix/listen/@svc");
        Assert.That((u.Key.Text, u.DualStack, u.Kind.Family), Is.EqualTo(("unix/@svc", false, SocketKind.AF_UNIX)));
    }

    [Test]
    public void A_triple_at_the_root_is_a_triple_recipe() =>
        Assert.That(Meaning("inet6;dgram;udp"), Is.EqualTo(new TripleRecipe(new SocketKind(SocketKind.AF_INET6, SocketKind.SOCK_DGRAM, 17))));

    [Test]
    public void Files_of_conn_and_net_are_named_by_their_meaning()
    {
        Assert.That(Meaning("conn/3/state"), Is.EqualTo(new ConnectionFile(3, "state")));
        Assert.That(((ConnectionFile)Meaning("conn/3/ctl")).IsControl, Is.True);
        Assert.That(((ConnectionFile)Meaning("conn/3/local")).IsControl, Is.False);
        Assert.That(Meaning("net/tcp6"), Is.EqualTo(new ProcNetFile("tcp6")));
    }

    [TestCase("ns", FixedFileKind.NamespaceLink)]
    [TestCase("status", FixedFileKind.Status)]
    [TestCase("handoff", FixedFileKind.HandoffLink)]
    public void The_fixed_files_are_fixed(string path, FixedFileKind kind)
    {
        Assert.That(Meaning(path), Is.EqualTo(new FixedFile(kind)));
        Assert.That(Meaning(path).IsFixed, Is.True);
    }

    [Test]
    public void Without_a_run_directory_there_is_no_handoff()
    {
        var grammar = new PathGrammar(hasHandoff: false);
        Assert.That(grammar.Resolve(NamespaceDirectory.Instance, "handoff", out _), Is.EqualTo(Errno.ENOENT));
        Assert.That(grammar.FixedEntries(NamespaceDirectory.Instance).Select(f => f.Name), Does.Not.Contain("handoff"));
    }

    [Test]
    public void The_fixed_tree_has_a_directory_per_transport_row_and_listen_where_the_row_listens()
    {
        var root = Grammar.FixedEntries(NamespaceDirectory.Instance).Select(f => f.Name).ToList();
        Assert.That(root, Is.EqualTo(new[] { "tcp", "udp", "unix", "mptcp", "conn", "net", "ns", "status", "handoff" }));
        foreach (var row in TransportTable.Rows)
        {
            var entries = Grammar.FixedEntries(new TransportDirectory(row)).Select(f => f.Name);
            Assert.That(entries, row.CanListen ? Is.EqualTo(new[] { "listen" }) : Is.Empty, row.Name);
        }
    }

    [Test]
    public void Fixed_names_resolve_to_their_fixed_entry_and_nothing_else_is_fixed()
    {
        var dirs = new DirectoryMeaning[] { NamespaceDirectory.Instance, MultiRootDirectory.Instance, new TransportDirectory(TransportTable.Tcp), new TransportDirectory(TransportTable.Unix) };
        foreach (var dir in dirs)
        {
            foreach (var (name, meaning) in Grammar.FixedEntries(dir))
            {
                Assert.That(Grammar.Resolve(dir, name, out var resolved), Is.EqualTo((Errno)0));
                Assert.That(resolved, Is.EqualTo(meaning));
                Assert.That(meaning.IsFixed, Is.True, name);
            }
        }
        foreach (var path in new[] { "tcp/1.2.3.4", "tcp/1.2.3.4/5", "tcp/listen/5", "tcp/listen/::1", "conn/1", "conn/1/ctl", "net/dev", "inet;stream;tcp", "unix/@x" })
            Assert.That(Meaning(path).IsFixed, Is.False, path);
    }

    [Test]
    public void Udp_has_no_listen_directory_so_listen_there_is_a_host()
    {
        Assert.That(Meaning("udp/listen"), Is.EqualTo(new HostDirectory(TransportTable.Udp, "listen")));
        Assert.That(Meaning("tcp/listen"), Is.EqualTo(new ListenDirectory(TransportTable.Tcp)));
    }

    [Test]
    public void What_ls_lists_resolves_to_what_it_lists()
    {
        foreach (var dir in new DirectoryMeaning[] { NamespaceDirectory.Instance, new ConnectionDirectory(5), ProcNetDirectory.Instance, MultiRootDirectory.Instance })
        {
            foreach (var (name, meaning) in Grammar.Listed(dir))
            {
                Assert.That(Grammar.Resolve(dir, name, out var resolved), Is.EqualTo((Errno)0), name);
                Assert.That(resolved, Is.EqualTo(meaning), name);
            }
        }
        Assert.That(Grammar.Listed(NamespaceDirectory.Instance).Select(l => l.Name), Is.SupersetOf(SocketTriple.Common));
        Assert.That(Grammar.Listed(new ConnectionDirectory(5)).Select(l => l.Name), Is.EqualTo(new[] { "local", "remote", "state", "path", "owner", "ctl" }));
        Assert.That(Grammar.Listed(ProcNetDirectory.Instance).Select(l => l.Name), Is.EqualTo(PathGrammar.ProcNetFiles));
    }

    [TestCase("nothing", Errno.ENOENT)]
    [TestCase("inet;stream", Errno.ENOENT)]
    [TestCase("appletalk;stream;0", Errno.EAFNOSUPPORT)]
    [TestCase("inet;circle;0", Errno.EINVAL)]
    [TestCase("inet;stream;999", Errno.EPROTONOSUPPORT)]
    [TestCase("tcp/a b", Errno.ENOENT)]
    [TestCase("tcp/-a.b", Errno.ENOENT)]
    [TestCase("tcp/[::1]:9", Errno.ENOENT)]
    [TestCase("tcp/127.0.0.1/08", Errno.ENOENT)]
    [TestCase("tcp/127.0.0.1/http", Errno.ENOENT)]
    [TestCase("tcp/127.0.0.1/0", Errno.EINVAL)]
    [TestCase("mptcp/127.0.0.1/65536", Errno.EINVAL)]
    [TestCase("tcp/listen/65536", Errno.EINVAL)]
    [TestCase("tcp/listen/localhost", Errno.ENOENT)]
    [TestCase("tcp/listen/010.0.0.1", Errno.ENOENT)]
    [TestCase("tcp/listen/::1/99999", Errno.EINVAL)]
    [TestCase("unix/svc", Errno.ENOENT)]
    [TestCase("unix/@", Errno.ENOENT)]
    [TestCase("unix/listen/svc", Errno.ENOENT)]
    [TestCase("conn/self", Errno.ENOENT)]
    [TestCase("conn/007", Errno.ENOENT)]
    [TestCase("conn/-1", Errno.ENOENT)]
    [TestCase("conn/1/secret", Errno.ENOENT)]
    [TestCase("net/passwd", Errno.ENOENT)]
    [TestCase("status/x", Errno.ENOTDIR)]
    public void A_name_that_cannot_be_is_refused_with_its_errno(string path, Errno expected) =>
        Assert.That(Walk(path, out _), Is.EqualTo(expected));

    [Test]
    public void Names_past_their_limits_are_ENAMETOOLONG()
    {
        Assert.That(Grammar.Resolve(NamespaceDirectory.Instance, new string('a', PathGrammar.NameMax + 1), out _), Is.EqualTo(Errno.ENAMETOOLONG));
        Assert.That(Grammar.Resolve(NamespaceDirectory.Instance, new byte[PathGrammar.NameMax + 1], out _), Is.EqualTo(Errno.ENAMETOOLONG));
        Assert.That(Grammar.Resolve(new TransportDirectory(TransportTable.Unix), "@" + new string('n', SockAddr.MaxAbstractName + 1), out _), Is.EqualTo(Errno.ENAMETOOLONG));
        Assert.That(Grammar.Resolve(new TransportDirectory(TransportTable.Unix), "@" + new string('n', SockAddr.MaxAbstractName), out _), Is.EqualTo((Errno)0));
        Assert.That(Grammar.Resolve(new TransportDirectory(TransportTable.Unix), "@" + new string('é', 60), out _), Is.EqualTo(Errno.ENAMETOOLONG), "the limit counts bytes, not characters");
    }

    [Test]
    public void A_name_that_is_not_UTF8_is_ENOENT_and_bytes_and_text_agree()
    {
        Assert.That(Grammar.Resolve(NamespaceDirectory.Instance, [0xff, 0x3b, 0x3b], out _), Is.EqualTo(Errno.ENOENT));
        Assert.That(Grammar.Resolve(NamespaceDirectory.Instance, "inet;stream;tcp"u8, out var byBytes), Is.EqualTo((Errno)0));
        Grammar.Resolve(NamespaceDirectory.Instance, "inet;stream;tcp", out var byText);
        Assert.That(byBytes, Is.EqualTo(byText));
    }

    [Test]
    public void A_listener_shows_under_its_own_name_in_its_listen_directory()
    {
        var tcpListen = new ListenDirectory(TransportTable.Tcp);
        Assert.That(PathGrammar.ListsListener(tcpListen, ListenerKey.OnPort(TransportTable.Tcp, "*", 80), out string port), Is.True);
        Assert.That(port, Is.EqualTo("80"));
        Assert.That(PathGrammar.ListsListener(tcpListen, ListenerKey.OnPort(TransportTable.Tcp, "::1", 80), out string addr), Is.True);
        Assert.That(addr, Is.EqualTo("::1"), "an address listener shows as its ADDR directory");
        Assert.That(PathGrammar.ListsListener(new ListenAddressDirectory(TransportTable.Tcp, "::1"), ListenerKey.OnPort(TransportTable.Tcp, "::1", 80), out string inAddr), Is.True);
        Assert.That(inAddr, Is.EqualTo("80"));
        Assert.That(PathGrammar.ListsListener(new ListenAddressDirectory(TransportTable.Tcp, "127.0.0.1"), ListenerKey.OnPort(TransportTable.Tcp, "::1", 80), out _), Is.False);
        Assert.That(PathGrammar.ListsListener(tcpListen, ListenerKey.OnPort(TransportTable.Mptcp, "*", 80), out _), Is.False, "an mptcp listener is not tcp's");
        Assert.That(PathGrammar.ListsListener(new ListenDirectory(TransportTable.Unix), ListenerKey.Named(TransportTable.Unix, "@svc"), out string name), Is.True);
        Assert.That(name, Is.EqualTo("@svc"));
    }
}
