using NetnsFs.FileSystem;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Interop;
using NetnsFs.Net.Identity;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Nodes;

/// <summary>Nodes made from meanings: the mode `ls` shows of a name is the mode of the node a
/// lookup makes of it, and each node reads what its meaning names.</summary>
public class NodeFactoryTests
{
    private sealed class Content : INodeContent
    {
        public List<string> Calls { get; } = [];

        public string Describe(ulong handle, string file)
        {
            Calls.Add($"describe {handle} {file}");
            return file + "\n";
        }

        public Errno Control(ulong handle, string command)
        {
            Calls.Add($"control {handle} {command}");
            return 0;
        }

        public string ReadProcNet(NamespaceView view, string file, Caller caller) => file;

        public string Status(NamespaceView? view)
        {
            Calls.Add("status");
            return "mode=multi\n";
        }

        public string LinkTarget(NamespaceView view, FixedFileKind link) => link.ToString();
    }

    private static readonly MountLayout Layout = new(0, 0, ModeBits.DirectoryDefault, ModeBits.DirectoryDefault, ModeBits.ReadWrite);
    private readonly Content _content = new();
    private NodeFactory Factory => new(Layout, _content);
    private static DirectoryNode Root => new("", null, NamespaceDirectory.Instance, ModeBits.DirectoryDefault);

    [Test]
    public void Every_listed_meaning_makes_a_node_of_the_mode_ls_shows()
    {
        var grammar = new PathGrammar(hasHandoff: false); // ns, status: the links need no view
        var dirs = new DirectoryMeaning[] { new ConnectionDirectory(3), ProcNetDirectory.Instance, new TransportDirectory(TransportTable.Mptcp), MultiRootDirectory.Instance };
        foreach (var dir in dirs)
        {
            var parent = new DirectoryNode("d", null, dir, ModeBits.DirectoryDefault);
            foreach (var (name, meaning) in grammar.Listed(dir))
            {
                var node = Factory.Make(name, parent, meaning);
                Assert.That(node.Mode, Is.EqualTo(Factory.ModeOf(meaning)), name);
                Assert.That((node.Name, node.Parent), Is.EqualTo((name, (Node)parent)));
            }
        }
        var root = Root;
        foreach (var (name, meaning) in grammar.Listed(NamespaceDirectory.Instance).Where(l => l.Meaning is not FixedFile { Kind: FixedFileKind.NamespaceLink }))
            Assert.That(Factory.Make(name, root, meaning).Mode, Is.EqualTo(Factory.ModeOf(meaning)), name);
    }

    [Test]
    public void Modes_come_from_the_mount_layout_by_name()
    {
        Assert.That(Factory.ModeOf(new TripleRecipe(default)), Is.EqualTo(Node.S_IFREG | ModeBits.ReadWrite));
        Assert.That(Factory.ModeOf(new ConnectionFile(1, "ctl")), Is.EqualTo(Node.S_IFREG | (ModeBits.ReadWrite & ModeBits.Control)));
        Assert.That(Factory.ModeOf(new ConnectionFile(1, "state")), Is.EqualTo(Node.S_IFREG | ModeBits.ReadOnly));
        Assert.That(Factory.ModeOf(new ProcNetFile("dev")), Is.EqualTo(Node.S_IFREG | ModeBits.ReadOnly));
        Assert.That(Factory.ModeOf(new FixedFile(FixedFileKind.Status)), Is.EqualTo(Node.S_IFREG | ModeBits.ReadOnly));
        Assert.That(Factory.ModeOf(new FixedFile(FixedFileKind.HandoffLink)), Is.EqualTo(Node.S_IFLNK | ModeBits.All));
        Assert.That(Factory.ModeOf(ConnectionsDirectory.Instance), Is.EqualTo(Node.S_IFDIR | ModeBits.DirectoryDefault));
    }

    [Test]
    public void Fixed_meanings_make_pinned_nodes_and_the_others_do_not()
    {
        var root = Root;
        Assert.That(Factory.Make("tcp", root, new TransportDirectory(TransportTable.Tcp)).Pinned, Is.True);
        Assert.That(Factory.Make("status", root, new FixedFile(FixedFileKind.Status)).Pinned, Is.True, "FORGET must not drop status");
        Assert.That(Factory.Make("conn", root, ConnectionsDirectory.Instance).Pinned, Is.True);
        Assert.That(Factory.Make("inet;stream;tcp", root, new TripleRecipe(default)).Pinned, Is.False);
        Assert.That(Factory.Make("5", root, new ConnectionDirectory(5)).Pinned, Is.False);
    }

    [Test]
    public void Connection_files_read_and_control_their_own_socket()
    {
        var parent = new DirectoryNode("9", null, new ConnectionDirectory(9), ModeBits.DirectoryDefault);
        var state = (TextFileNode)Factory.Make("state", parent, new ConnectionFile(9, "state"));
        Assert.That(state.Content(new Caller(1, 0, 0)), Is.EqualTo("state\n"));
        Assert.That(state.Control, Is.Null, "only ctl takes commands");
        var ctl = (TextFileNode)Factory.Make("ctl", parent, new ConnectionFile(9, "ctl"));
        Assert.That(ctl.Control!("shutdown"), Is.EqualTo((Errno)0));
        Assert.That(_content.Calls, Is.EqualTo(new[] { "describe 9 state", "control 9 shutdown" }));
    }

    [Test]
    public void A_socket_path_makes_a_socket_file_with_its_recipe()
    {
        var recipe = new TripleRecipe(new NetnsFs.Net.Sockets.SocketKind(2, 1, 6));
        var node = (SocketFileNode)Factory.Make("inet;stream;tcp", Root, recipe);
        Assert.That(node.Recipe, Is.SameAs(recipe));
        Assert.That(node.Size, Is.EqualTo(SocketFileNode.StreamSize));
    }
}
