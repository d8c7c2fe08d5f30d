using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Protocol;
using NetnsFs.Fuse.Session;
using NetnsFs.Interop;
using NetnsFs.Net.Sockets;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace NetnsFs.Fuzz;

/// <summary>A fuzz finding: an invariant of the code under test broke. Any other exception that
/// escapes a target is a finding too (the code under test threw).</summary>
public sealed class FuzzFindingException(string message) : Exception(message);

/// <summary>The fuzz targets' entry functions, shared by the SharpFuzz program (tests/NetnsFs.Fuzz)
/// and the in-process smoke test (tests/NetnsFs.Tests/Fuzz), which compiles this file too. Each takes
/// one input and returns normally, or throws: a crash, a broken invariant, or a hang (a request the
/// session never answers within <see cref="RequestTarget.ReplyTimeout"/>).</summary>
public static class Targets
{
    /// <summary>Target names as the run script and the corpus folders spell them.</summary>
    public static readonly string[] Names = ["paths", "requests", "handoff", "dns"];

    public static void Run(string target, ReadOnlySpan<byte> input)
    {
        switch (target)
        {
            case "paths":
                PathTarget.Run(input);
                break;
            case "requests":
                RequestTarget.Shared.Run(input);
                break;
            case "handoff":
                HandoffTarget.Run(input);
                break;
            case "dns":
                DnsTarget.Run(input);
                break;
            default:
                throw new ArgumentException($"unknown fuzz target {target}", nameof(target));
        }
    }

    internal static void Check(bool condition, string what)
    {
        if (!condition)
            throw new FuzzFindingException(what);
    }
}

/// <summary>(a) The path grammar, walked as the kernel walks a path: the input split on '/', each
/// component resolved in the directory the previous one named, from a namespace's directory. The
/// tree is the grammar's own: its fixed entries (tcp/, udp/, unix/, mptcp/, conn/, net/, listen/,
/// ns, status, handoff) come from the same table the daemon pins them from, so a layout change is
/// fuzzed as it is. Each meaning is made into a node by the daemon's <see cref="NodeFactory"/>.
/// Also feeds each component to <see cref="SocketTriple"/> and <see cref="HostName"/> directly.
/// Invariants: nothing throws; the grammar answers only the errnos it documents; success comes
/// with a meaning and a failure with none; the answer is the same when asked twice and for the
/// name's bytes and its text; fixed names mean their fixed entry and nothing else is fixed; the
/// node is named as asked and has the mode `ls` shows; a listen path is listed under its own
/// name and its listener key reads back; parsed ports round-trip.</summary>
public static class PathTarget
{
    private static readonly Errno[] Allowed =
        [0, Errno.ENOENT, Errno.EINVAL, Errno.ENAMETOOLONG, Errno.EAFNOSUPPORT, Errno.EPROTONOSUPPORT];

    private static readonly MountLayout Layout = new(0, 0, ModeBits.DirectoryDefault, ModeBits.DirectoryDefault, ModeBits.ReadWrite);

    /// <summary>What the nodes would show: nothing is read (the target checks shapes, not contents).</summary>
    private sealed class NoContent : INodeContent
    {
        public string Describe(ulong handle, string file) => "";

        public Errno Control(ulong handle, string command) => Errno.EINVAL;

        public string ReadProcNet(NetnsFs.FileSystem.NamespaceView view, string file, NetnsFs.Net.Identity.Caller caller) => "";

        public string Status(NetnsFs.FileSystem.NamespaceView? view) => "";

        public string LinkTarget(NetnsFs.FileSystem.NamespaceView view, FixedFileKind link) => "/proc/self/ns/net";
    }

    private static readonly PathGrammar Grammar = new(hasHandoff: true);
    private static readonly NodeFactory Factory = new(Layout, new NoContent());

    public static void Run(ReadOnlySpan<byte> input)
    {
        Node current = new DirectoryNode("", null, NamespaceDirectory.Instance, Layout.RootPermissions) { IsPinned = true };
        int start = 0;
        while (start <= input.Length)
        {
            int slash = input[start..].IndexOf((byte)'/');
            int end = slash < 0 ? input.Length : start + slash;
            var component = input[start..end];
            start = end + 1;
            Components(component);
            if (component.IsEmpty)
            {
                if (slash < 0)
                    break;
                continue; // "a//b", a leading or trailing '/': the kernel never sends an empty name
            }
            if (current is not DirectoryNode dir)
                return; // ENOTDIR: a path continues below a file
            var next = Lookup(dir, component);
            if (next is null)
                return; // refused: the walk ends here, as open(2) would
            current = next;
            if (slash < 0)
                break;
        }
    }

    /// <summary>One LOOKUP: the grammar's meaning, made into a node as NetnsFileSystem makes it.</summary>
    private static Node? Lookup(DirectoryNode dir, ReadOnlySpan<byte> name)
    {
        var e = Grammar.Resolve(dir.Meaning, name, out var meaning);
        var again = Grammar.Resolve(dir.Meaning, name, out var meaning2);
        Targets.Check(e == again && Equals(meaning, meaning2), $"Resolve is not deterministic: {e} then {again}");
        Targets.Check(Array.IndexOf(Allowed, e) >= 0, $"Resolve answered {e} for {Show(name)} in a {dir.Role} directory");
        Targets.Check((e == 0) == (meaning is not null), $"Resolve answered {e} with{(meaning is null ? "out" : "")} a meaning");
        if (name.Length > PathGrammar.NameMax)
            Targets.Check(e == Errno.ENAMETOOLONG, $"a {name.Length}-byte name answered {e}, not ENAMETOOLONG");
        if (!System.Text.Unicode.Utf8.IsValid(name))
            return null;
        string text = Encoding.UTF8.GetString(name);
        var byText = Grammar.Resolve(dir.Meaning, text, out var meaning3);
        Targets.Check(byText == e && Equals(meaning, meaning3), $"{Show(name)} answered {e} as bytes and {byText} as text");
        var fixedEntry = Grammar.FixedEntries(dir.Meaning).FirstOrDefault(f => f.Name == text);
        if (fixedEntry.Meaning is not null)
            Targets.Check(Equals(meaning, fixedEntry.Meaning), $"the fixed name {text} means {meaning}, not {fixedEntry.Meaning}");
        else if (meaning is not null)
            Targets.Check(!meaning.IsFixed, $"{Show(name)} means the fixed {meaning} but is no fixed entry of {dir.Meaning}");
        if (e != 0)
            return null;
        var node = Factory.Make(text, dir, meaning!);
        Targets.Check(node.Name == text, $"the node for {Show(name)} is named {node.Name}");
        Targets.Check(ReferenceEquals(node.Parent, dir), "the node's parent is not the directory it was looked up in");
        Targets.Check(node.Mode == Factory.ModeOf(meaning!), $"{Show(name)} lists as mode {Factory.ModeOf(meaning!)}, stats as {node.Mode}");
        Targets.Check(node is DirectoryNode == meaning is DirectoryMeaning, $"{meaning} made a {node.GetType().Name}");
        _ = node.Size;
        if (node is SocketFileNode file)
            CheckRecipe(dir, file.Recipe, text);
        return node;
    }

    private static void CheckRecipe(DirectoryNode dir, SocketRecipe recipe, string name)
    {
        switch (recipe)
        {
            case HostDialRecipe dial:
                Targets.Check(dial.Port is >= 1 and <= 65535, $"dial port {dial.Port} for {name}");
                Targets.Check(HostName.IsWellFormed(dial.Host), $"dial host {dial.Host} is not well-formed");
                Targets.Check(dial.Kind.Family == 0, $"dial family {dial.Kind.Family} before HOST is resolved");
                break;
            case ListenRecipe listen:
                Targets.Check(listen.Bind.Port is >= 0 and <= 65535, $"listen port {listen.Bind.Port}");
                Targets.Check(ListenerKey.TryParse(listen.Key.Text, out var back) && back == listen.Key, $"listener key {listen.Key} does not read back");
                Targets.Check(PathGrammar.ListsListener(dir.Meaning, listen.Key, out string listed) && listed == name,
                    $"listener {listen.Key} of {name} is not listed under that name");
                break;
        }
    }

    /// <summary>The parsers on their own, with what each promises.</summary>
    private static void Components(ReadOnlySpan<byte> raw)
    {
        string text = Encoding.UTF8.GetString(raw); // lossy is fine: these take strings
        var e = SocketTriple.TryParse(text, out var kind);
        if (e == 0)
        {
            Targets.Check(SocketTriple.LooksLikeTriple(text), $"TryParse accepted {Show(raw)}, which LooksLikeTriple denies");
            Targets.Check(kind.Protocol is >= 0 and <= 255, $"protocol {kind.Protocol} from {Show(raw)}");
        }
        bool wellFormed = HostName.IsWellFormed(text);
        if (wellFormed)
            Targets.Check(text.Length is > 0 and <= HostName.MaxLength, $"IsWellFormed accepted a {text.Length}-char host");
        if (HostName.TryResolve(text, out var address) == 0)
        {
            Targets.Check(address.AddressFamily is System.Net.Sockets.AddressFamily.InterNetwork or System.Net.Sockets.AddressFamily.InterNetworkV6, $"resolved {Show(raw)} to {address.AddressFamily}");
            if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !text.Equals("localhost", StringComparison.OrdinalIgnoreCase))
                Targets.Check(address.ToString() == text, $"IPv4 literal {text} resolved to {address}");
        }
        if (HostName.TryParsePort(text, out int port) == 0)
            Targets.Check(port is >= 1 and <= 65535 && port.ToString(System.Globalization.CultureInfo.InvariantCulture) == text, $"port {Show(raw)} parsed as {port}");
        if (HostName.TryParseListenPort(text, out int lport) == 0)
            Targets.Check(lport is >= 0 and <= 65535 && lport.ToString(System.Globalization.CultureInfo.InvariantCulture) == text, $"listen port {Show(raw)} parsed as {lport}");
        _ = IPAddress.None;
    }

    internal static string Show(ReadOnlySpan<byte> raw) =>
        raw.Length > 64 ? $"<{raw.Length} bytes: {Convert.ToHexString(raw[..32])}...>" : $"<{Convert.ToHexString(raw)}>";
}

/// <summary>(c) The handoff wire: the input is one datagram a client sent to the handoff socket,
/// decoded by <see cref="NetnsFs.FileSystem.Handoff.HandoffRequest.Decode"/> exactly as the daemon
/// does; then, as the reply a client receives, by <see cref="NetnsFs.Client.HandoffWire.DecodeReply"/>;
/// and a reply made from it is encoded and decoded again. Invariants: nothing throws; a request is
/// accepted iff it is 1 to 4096 bytes of valid UTF-8 without NUL, alone or followed by a NUL and
/// "nonblock", and then its path is those very bytes (the client's EncodeRequest gives them back); a refusal is EINVAL with a reason; a reply
/// fits MaxReply and decodes to the errno and (up to the 1000-char cut) the text it was made of.</summary>
public static class HandoffTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        var e = NetnsFs.FileSystem.Handoff.HandoffRequest.Decode(input, out string path, out bool nonBlocking, out string problem);
        int nul = input.IndexOf((byte)0);
        var pathBytes = nul < 0 ? input : input[..nul];
        bool optionWellFormed = nul < 0 || input[(nul + 1)..].SequenceEqual(NetnsFs.Client.HandoffWire.NonBlockingBytes);
        bool wellFormed = pathBytes.Length is > 0 and <= NetnsFs.Client.HandoffWire.MaxRequest && optionWellFormed && System.Text.Unicode.Utf8.IsValid(pathBytes);
        Targets.Check((e == 0) == wellFormed, $"Decode answered {e} for a request that is {(wellFormed ? "" : "not ")}well-formed: {PathTarget.Show(input)}");
        if (e == 0)
        {
            Targets.Check(nonBlocking == nul >= 0, $"{PathTarget.Show(input)} decoded as nonBlocking={nonBlocking}");
            Targets.Check(Encoding.UTF8.GetBytes(path).AsSpan().SequenceEqual(pathBytes), $"the path of {PathTarget.Show(input)} is not its bytes");
            Targets.Check(NetnsFs.Client.HandoffWire.EncodeRequest(path, nonBlocking).AsSpan().SequenceEqual(input), "the client encodes the request differently");
        }
        else
        {
            Targets.Check(e == Errno.EINVAL && problem.Length > 0 && path.Length == 0 && !nonBlocking, $"a refusal is EINVAL with a reason, not {e} '{problem}'");
        }

        // The same bytes as a reply a client receives (a hostile or broken server's).
        var (errno, text) = NetnsFs.Client.HandoffWire.DecodeReply(input);
        if (input.Length >= 4)
            Targets.Check(errno == System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(input), "DecodeReply changed the errno");
        else
            Targets.Check(errno == 71, $"a {input.Length}-byte reply decoded to errno {errno}, not EPROTO");

        // A reply the daemon makes of that text comes back as it was made.
        Span<byte> reply = stackalloc byte[NetnsFs.Client.HandoffWire.MaxReply];
        int len = NetnsFs.Client.HandoffWire.EncodeReply(reply, errno, text);
        Targets.Check(len is >= 4 and <= NetnsFs.Client.HandoffWire.MaxReply, $"reply of {len} bytes");
        var (errno2, text2) = NetnsFs.Client.HandoffWire.DecodeReply(reply[..len]);
        Targets.Check(errno2 == errno, "the reply's errno did not round-trip");
        string sent = text.Length <= 1000 ? text : text[..1000];
        // A cut between the halves of a surrogate pair leaves a lone half, which UTF-8 cannot carry.
        string expected = sent.Length > 0 && char.IsHighSurrogate(sent[^1]) ? sent[..^1] + "\uFFFD" : sent;
        Targets.Check(text2 == expected, "the reply's text did not round-trip");
    }
}

/// <summary>(d) The DNS answer parser (<see cref="NetnsFs.Net.Names.DnsMessage"/>), fed what a
/// hostile nameserver in the namespace could send: the input is the datagram; the id the lookup
/// waits for is taken from its first two bytes (so most inputs get past the id check), and it is
/// parsed for an A and an AAAA question. The input is also taken as a name, written as a query,
/// and answered by a well-formed reply built from that query. Invariants: nothing throws; the
/// same answer twice; an Address result carries an address of the asked family and any other
/// result none; a reply with a wrong id is Malformed; our own query answered with one A record
/// parses as that address.</summary>
public static class DnsTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        ushort id = input.Length >= 2 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(input) : (ushort)0;
        foreach (ushort type in new[] { NetnsFs.Net.Names.DnsMessage.TypeA, NetnsFs.Net.Names.DnsMessage.TypeAaaa })
        {
            var r = NetnsFs.Net.Names.DnsMessage.ParseAnswer(input, id, type, out var address);
            var again = NetnsFs.Net.Names.DnsMessage.ParseAnswer(input, id, type, out var address2);
            Targets.Check(r == again && Equals(address, address2), $"ParseAnswer is not deterministic: {r} then {again}");
            Targets.Check(Enum.IsDefined(r), $"ParseAnswer answered {(int)r}");
            if (r == NetnsFs.Net.Names.DnsMessage.Result.Address)
            {
                var family = type == NetnsFs.Net.Names.DnsMessage.TypeA ? System.Net.Sockets.AddressFamily.InterNetwork : System.Net.Sockets.AddressFamily.InterNetworkV6;
                Targets.Check(address is not null && address.AddressFamily == family, $"an Address answer to type {type} carried {address}");
            }
            else
            {
                Targets.Check(address is null, $"a {r} answer carried an address");
            }
            var wrong = NetnsFs.Net.Names.DnsMessage.ParseAnswer(input, (ushort)(id ^ 1), type, out var none);
            Targets.Check(wrong == NetnsFs.Net.Names.DnsMessage.Result.Malformed && none is null, $"an answer with another id parsed as {wrong}");
        }
        OwnQuery(input);
    }

    /// <summary>The input as a host name: a query for it, answered with one A record (a compression
    /// pointer to the question's name, as servers answer), must parse as that address.</summary>
    private static void OwnQuery(ReadOnlySpan<byte> input)
    {
        string name = Encoding.UTF8.GetString(input);
        if (!HostName.IsWellFormed(name) || HostName.TryResolve(name, out _) == 0)
            return; // the daemon queries only well-formed names that are no literal
        var buffer = new byte[1500];
        int len = NetnsFs.Net.Names.DnsMessage.WriteQuery(buffer, 0x1234, name, NetnsFs.Net.Names.DnsMessage.TypeA);
        Targets.Check(len > 12 && len <= buffer.Length, $"query for a well-formed {name.Length}-char name is {len} bytes");
        byte[] answer = [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7];
        Targets.Check(len + answer.Length <= buffer.Length, "no room for the answer");
        answer.CopyTo(buffer, len);
        buffer[2] = 0x81; // QR, RD
        buffer[3] = 0x80; // RA, rcode 0
        buffer[7] = 1;    // one answer
        var r = NetnsFs.Net.Names.DnsMessage.ParseAnswer(buffer.AsSpan(0, len + answer.Length), 0x1234, NetnsFs.Net.Names.DnsMessage.TypeA, out var address);
        Targets.Check(r == NetnsFs.Net.Names.DnsMessage.Result.Address && address?.ToString() == "192.0.2.7", $"our own query for {name}, answered, parsed as {r} {address}");
    }
}

/// <summary>(b) The FUSE request decoder and the session's dispatch, driven as the kernel drives
/// them: the input is a sequence of raw requests (each starts with a fuse_in_header whose len field
/// frames it; a bad len makes the rest one message), written one message at a time into a
/// SOCK_SEQPACKET pair whose other end is a real <see cref="FuseSession"/>'s device. A small
/// filesystem answers everything, defers reads of an empty pipe (woken by writes, or interrupted),
/// lists directories with <see cref="DirentWriter"/> and sends poll notifications. After the input,
/// a GETATTR sentinel must be answered within <see cref="ReplyTimeout"/> (else: a hang); then the
/// deferred reads are released and a second sentinel flushes their replies. Invariants: the reader
/// never crashes, no handler exception is logged, every reply is well-formed and answers a request
/// that was sent (never more replies than requests with that unique), and no deferred request is
/// left tracked by the session.</summary>
public sealed class RequestTarget : IDisposable
{
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Inputs are cut here: a kernel request is at most max_write plus headers anyway.</summary>
    public const int MaxInput = 256 * 1024;

    public const int MaxMessages = 256;

    private static RequestTarget? s_shared;

    /// <summary>One session for the whole process (persistent fuzzing); made again after a finding.</summary>
    public static RequestTarget Shared => s_shared ??= new RequestTarget();

    /// <summary>Ends the shared session, if one was made.</summary>
    public static void DisposeShared()
    {
        s_shared?.Dispose();
        s_shared = null;
    }

    private readonly int _kernelFd;
    private readonly FuseSession _session;
    private readonly FuzzFileSystem _fs = new();
    private readonly ErrorSink _sink = new();
    private readonly BlockingCollection<byte[]> _replies = new();
    private readonly Thread _receiver;
    private volatile bool _closing;

    public RequestTarget()
    {
        (int device, _kernelFd) = Libc.SeqPacketPair();
        var log = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(_sink).CreateLogger();
        _session = new FuseSession(new FuseDevice(device), _fs, new FuseSessionOptions { Readers = 1, LogRequests = true }, log);
        _session.Start();
        _receiver = new Thread(Receive) { IsBackground = true, Name = "fuzz-kernel" };
        _receiver.Start();
    }

    private void Receive()
    {
        var buf = new byte[2 << 20];
        while (!_closing)
        {
            int n = Libc.Read(_kernelFd, buf);
            if (n <= 0)
                break;
            _replies.Add(buf[..n]);
        }
        _replies.CompleteAdding();
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        try
        {
            RunOne(input);
        }
        catch
        {
            // A finding leaves the session in an unknown state: the next input gets a fresh one.
            if (ReferenceEquals(s_shared, this))
                s_shared = null;
            Dispose();
            throw;
        }
    }

    private void RunOne(ReadOnlySpan<byte> input)
    {
        if (input.Length > MaxInput)
            input = input[..MaxInput];
        _sink.Clear();
        var sent = new Dictionary<ulong, int>();
        int messages = 0;
        while (!input.IsEmpty && messages < MaxMessages)
        {
            int len = input.Length;
            if (input.Length >= RequestDecoder.InHeaderSize)
            {
                uint declared = BitConverter.ToUInt32(input);
                if (declared >= RequestDecoder.InHeaderSize && declared <= input.Length)
                    len = (int)declared;
            }
            var message = input[..len];
            input = input[len..];
            if (RequestDecoder.TryReadHeader(message, out var h))
                sent[h.Unique] = sent.GetValueOrDefault(h.Unique) + 1;
            Send(message);
            messages++;
        }
        var replies = new List<byte[]>();
        ulong sentinel = Sentinel(sent);
        AwaitSentinel(sentinel, replies, "the input");
        _fs.ReleaseWaiters();
        ulong sentinel2 = Sentinel(sent, sentinel + 1);
        AwaitSentinel(sentinel2, replies, "the release of deferred reads");
        Check(replies, sent);
    }

    private static ulong Sentinel(Dictionary<ulong, int> sent, ulong start = 0xF0F0_F0F0_0000_0000)
    {
        ulong s = start;
        while (sent.ContainsKey(s))
            s++;
        return s;
    }

    private void AwaitSentinel(ulong unique, List<byte[]> replies, string after)
    {
        var header = new FuseInHeader
        {
            Len = (uint)(RequestDecoder.InHeaderSize + Unsafe.SizeOf<FuseGetAttrIn>()),
            Opcode = (uint)FuseOpcode.GetAttr,
            Unique = unique,
            NodeId = FuzzFileSystem.RootIno,
            Pid = 1,
        };
        var message = new byte[header.Len];
        MemoryMarshal.Write(message, in header);
        Send(message);
        var deadline = DateTime.UtcNow + ReplyTimeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !_replies.TryTake(out var reply, left))
            {
                throw new FuzzFindingException($"hang: no answer to a GETATTR within {ReplyTimeout.TotalSeconds} s after {after}" +
                    $" (session ended: {_session.Ended.IsCompleted}; log: {string.Join(" | ", _sink.All().TakeLast(5))})");
            }
            if (reply.Length >= 16 && BitConverter.ToUInt64(reply, 8) == unique)
            {
                Targets.Check(BitConverter.ToInt32(reply, 4) == 0, $"the sentinel GETATTR failed with {BitConverter.ToInt32(reply, 4)}");
                return;
            }
            replies.Add(reply);
        }
    }

    private void Check(List<byte[]> replies, Dictionary<ulong, int> sent)
    {
        var crashes = _sink.Crashes();
        Targets.Check(crashes.Count == 0, "the session logged: " + string.Join(" | ", crashes));
        Targets.Check(!_session.Ended.IsCompleted, "the session ended");
        var answered = new Dictionary<ulong, int>();
        foreach (var r in replies)
        {
            Targets.Check(r.Length >= 16, $"a reply of {r.Length} bytes");
            var h = MemoryMarshal.Read<FuseOutHeader>(r);
            Targets.Check(h.Len == (uint)r.Length, $"a reply whose len {h.Len} is not its size {r.Length}");
            if (h.Unique == 0 && (!sent.ContainsKey(0) || h.Error > 0))
            {
                // a notification (a request of unique 0, which no kernel sends, makes replies look alike)
                Targets.Check(h.Error is >= (int)FuseNotifyCode.Poll and <= (int)FuseNotifyCode.Delete, $"a notification with code {h.Error}");
                continue;
            }
            Targets.Check(h.Error is <= 0 and > -4096, $"a reply with error field {h.Error}");
            Targets.Check(h.Error == 0 || r.Length == 16, $"an error reply ({h.Error}) with a {r.Length - 16}-byte payload");
            int n = answered[h.Unique] = answered.GetValueOrDefault(h.Unique) + 1;
            Targets.Check(n <= sent.GetValueOrDefault(h.Unique), $"request {h.Unique:x} answered {n} times, sent {sent.GetValueOrDefault(h.Unique)} times");
        }
        Targets.Check(_session.DeferredCount == 0, $"{_session.DeferredCount} deferred requests still tracked after all were answered");
        Targets.Check(_fs.Waiters == 0, "reads still waiting in the filesystem");
    }

    private void Send(ReadOnlySpan<byte> message)
    {
        int n = Libc.Write(_kernelFd, message);
        Targets.Check(n == message.Length, $"write of a {message.Length}-byte request returned {n} (errno {Marshal.GetLastPInvokeError()})");
    }

    public void Dispose()
    {
        if (_closing)
            return;
        _closing = true;
        _session.Stop();
        Libc.Shutdown(_kernelFd);
        _receiver.Join(TimeSpan.FromSeconds(2));
        Libc.Close(_kernelFd);
        _session.Dispose();
        _replies.Dispose();
    }

    /// <summary>Collects what the session logs: Fatal ("reader crashed") and errors carrying an
    /// exception ("... threw") are findings; plain errors ("body too short") are expected.</summary>
    private sealed class ErrorSink : ILogEventSink
    {
        private readonly List<LogEvent> _events = [];

        public void Emit(LogEvent logEvent)
        {
            if (logEvent.Level < LogEventLevel.Error && logEvent.Exception is null)
                return;
            lock (_events)
                _events.Add(logEvent);
        }

        public void Clear()
        {
            lock (_events)
                _events.Clear();
        }

        public List<string> Crashes()
        {
            lock (_events)
            {
                return [.. _events.Where(e => e.Level == LogEventLevel.Fatal || e.Exception is not null)
                    .Select(e => e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture) + " " + e.Exception)];
            }
        }

        public List<string> All()
        {
            lock (_events)
                return [.. _events.Select(e => e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture))];
        }
    }
}

/// <summary>The filesystem behind the request target: root (1) with "file" (2), "dir" (3),
/// "link" (4) and "pipe" (5). Reads of an empty pipe are deferred; writes to it answer the oldest
/// waiting read; INTERRUPT releases a waiting read. Every operation answers exactly once.</summary>
internal sealed class FuzzFileSystem : FuseFileSystem
{
    public const ulong RootIno = 1;
    private const ulong FileIno = 2;
    private const ulong DirIno = 3;
    private const ulong LinkIno = 4;
    private const ulong PipeIno = 5;
    private static readonly string[] Names = ["", "", "file", "dir", "link", "pipe"];
    private static readonly byte[] Content = Encoding.ASCII.GetBytes(new string('x', 3000) + "\n");

    private readonly Lock _gate = new();
    private readonly LinkedList<(FuseRequest Request, int Size)> _waiters = new();
    private FuseSession? _session;

    public int Waiters
    {
        get
        {
            lock (_gate)
                return _waiters.Count;
        }
    }

    public override void Initialized(FuseSession session, FuseConnectionInfo info) => _session = session;

    private static uint ModeOf(ulong ino) => ino switch
    {
        RootIno or DirIno => Node.S_IFDIR | ModeBits.DirectoryDefault,
        LinkIno => Node.S_IFLNK | ModeBits.All,
        _ => Node.S_IFREG | ModeBits.ReadWrite,
    };

    private static bool Exists(NodeId node) => node.Value is >= RootIno and <= PipeIno;

    private static FuseAttr Attr(ulong ino) => new()
    {
        Ino = ino,
        Mode = ModeOf(ino),
        NLink = 1,
        Size = ino == FileIno ? (ulong)Content.Length : 0,
        BlkSize = 4096,
    };

    private static FuseEntryOut Entry(ulong ino) => new() { NodeId = ino, Generation = 1, EntryValid = 1, AttrValid = 1, Attr = Attr(ino) };

    public override void Lookup(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name)
    {
        if (parent.Value != RootIno)
        {
            req.ReplyError(Exists(parent) ? Errno.ENOENT : Errno.ENOTDIR);
            return;
        }
        for (ulong ino = FileIno; ino <= PipeIno; ino++)
        {
            if (name.SequenceEqual(Encoding.ASCII.GetBytes(Names[ino])))
            {
                req.Reply(Entry(ino));
                return;
            }
        }
        req.ReplyError(Errno.ENOENT);
    }

    public override void GetAttr(FuseRequest req, NodeId node, FileHandle? fh)
    {
        if (!Exists(node))
            req.ReplyError(Errno.ENOENT);
        else
            req.Reply(new FuseAttrOut { AttrValid = 1, Attr = Attr(node.Value) });
    }

    public override void SetAttr(FuseRequest req, NodeId node, in FuseSetAttrIn attr) => GetAttr(req, node, null);

    public override void ReadLink(FuseRequest req, NodeId node)
    {
        if (node.Value == LinkIno)
            req.ReplyData("file"u8);
        else
            req.ReplyError(Errno.EINVAL);
    }

    public override void Symlink(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target) =>
        req.ReplyError(name.IsEmpty || target.IsEmpty ? Errno.EINVAL : Errno.EPERM);

    public override void MkNod(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask) => req.ReplyError(Errno.EPERM);

    public override void MkDir(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint umask) => req.ReplyError(Errno.EEXIST);

    public override void Unlink(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name)
    {
        req.ReplyEmpty();
        if (name.Length <= 255)
            _session?.NotifyInvalEntry(parent, name);
    }

    public override void RmDir(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name) => req.ReplyError(Errno.ENOTEMPTY);

    public override void Open(FuseRequest req, NodeId node, int flags)
    {
        if (!Exists(node))
            req.ReplyError(Errno.ENOENT);
        else
            req.ReplyOpen(new FileHandle(node.Value * 100), node.Value == PipeIno ? OpenReplyFlags.StreamFile : OpenReplyFlags.None);
    }

    public override void Create(FuseRequest req, NodeId parent, ReadOnlySpan<byte> name, int flags, uint mode, uint umask) =>
        FuseSession.ReplyCreate(req, Entry(PipeIno), new FileHandle(PipeIno * 100), OpenReplyFlags.StreamFile);

    public override void Read(FuseRequest req, NodeId node, FileHandle fh, long offset, int size, int flags)
    {
        if (node.Value == PipeIno)
        {
            if ((flags & 0x800) != 0)
            {
                req.ReplyError(Errno.EAGAIN);
                return;
            }
            LinkedListNode<(FuseRequest, int)> waiter;
            lock (_gate)
                waiter = _waiters.AddLast((req, size));
            req.Defer(r =>
            {
                lock (_gate)
                {
                    if (waiter.List is not null)
                        _waiters.Remove(waiter);
                }
            });
            return;
        }
        if (node.Value != FileIno)
        {
            req.ReplyError(Exists(node) ? Errno.EISDIR : Errno.ENOENT);
            return;
        }
        if (offset < 0 || offset >= Content.Length)
        {
            req.ReplyData([]);
            return;
        }
        var data = Content.AsSpan((int)offset, Math.Min(size, Content.Length - (int)offset));
        var reply = req.TakeReplyBuffer(data.Length);
        data.CopyTo(reply.Payload);
        req.ReplyData(reply, data.Length);
    }

    public override void Write(FuseRequest req, NodeId node, FileHandle fh, long offset, ReadOnlySpan<byte> data, int flags)
    {
        if (node.Value != PipeIno)
        {
            req.ReplyError(Errno.EBADF);
            return;
        }
        (FuseRequest Request, int Size)? first = null;
        lock (_gate)
        {
            if (_waiters.First is { } w)
            {
                first = w.Value;
                _waiters.RemoveFirst();
            }
        }
        if (first is { } f)
            f.Request.ReplyData(data[..Math.Min(data.Length, Math.Min(f.Size, 4096))]);
        req.ReplyWrite((uint)data.Length);
    }

    public override void ReadDir(FuseRequest req, NodeId node, FileHandle fh, long offset, int size)
    {
        if (node.Value is not (RootIno or DirIno))
        {
            req.ReplyError(Errno.ENOTDIR);
            return;
        }
        var reply = req.TakeReplyBuffer(size);
        var writer = new DirentWriter(reply.Payload);
        for (long i = Math.Max(0, offset); i < Names.Length; i++)
        {
            string name = i < 2 ? (i == 0 ? "." : "..") : Names[i];
            if (!writer.TryAdd((ulong)Math.Max(1, i), (ulong)(i + 1), ModeOf((ulong)Math.Max(1, i)) >> 12, Encoding.ASCII.GetBytes(name)))
                break;
        }
        req.ReplyData(reply, writer.Length);
    }

    public override void Access(FuseRequest req, NodeId node, int mask) => req.ReplyError(Exists(node) ? 0 : Errno.ENOENT);

    public override void Poll(FuseRequest req, NodeId node, FileHandle fh, ulong kh, PollFlags flags, uint events)
    {
        bool readable;
        lock (_gate)
            readable = node.Value != PipeIno;
        req.ReplyPoll(readable ? 0x5u : 0x4u);
        if ((flags & PollFlags.ScheduleNotify) != 0)
            _session?.NotifyPoll(kh);
    }

    /// <summary>Answers every waiting read (end of one input): EOF.</summary>
    public void ReleaseWaiters()
    {
        List<FuseRequest> all;
        lock (_gate)
        {
            all = [.. _waiters.Select(w => w.Request)];
            _waiters.Clear();
        }
        foreach (var r in all)
            r.ReplyData([]);
    }
}

/// <summary>The few libc calls the request target needs (a SOCK_SEQPACKET pair plays /dev/fuse).</summary>
internal static unsafe partial class Libc
{
    private const int AF_UNIX = 1;
    private const int SOCK_SEQPACKET = 5;
    private const int SOCK_CLOEXEC = 0x80000;
    private const int SOL_SOCKET = 1;
    private const int SO_SNDBUFFORCE = 32;
    private const int SO_RCVBUFFORCE = 33;

    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    private static partial int socketpair(int domain, int type, int protocol, int* sv);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int setsockopt(int fd, int level, int name, int* value, int length);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint read(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint write(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    private static partial int shutdown(int fd, int how);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);

    /// <summary>A connected pair; big buffers (as root) so that a burst of requests never waits.</summary>
    public static (int A, int B) SeqPacketPair()
    {
        int* sv = stackalloc int[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
            throw new IOException($"socketpair failed: errno {Marshal.GetLastPInvokeError()}");
        int size = 8 << 20;
        for (int i = 0; i < 2; i++)
        {
            setsockopt(sv[i], SOL_SOCKET, SO_SNDBUFFORCE, &size, 4);
            setsockopt(sv[i], SOL_SOCKET, SO_RCVBUFFORCE, &size, 4);
        }
        return (sv[0], sv[1]);
    }

    public static int Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = read(fd, p, buffer.Length);
                if (n >= 0 || Marshal.GetLastPInvokeError() != (int)Errno.EINTR)
                    return (int)n;
            }
        }
    }

    public static int Write(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            while (true)
            {
                nint n = write(fd, p, data.Length);
                if (n >= 0 || Marshal.GetLastPInvokeError() != (int)Errno.EINTR)
                    return (int)n;
            }
        }
    }

    public static void Shutdown(int fd) => shutdown(fd, 2);

    public static void Close(int fd) => close(fd);
}
