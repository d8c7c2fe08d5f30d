using System.Net;
using NetnsFs.Net.Names;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Names;

/// <summary>The stub resolver's two messages pinned as bytes (RFC 1035 4.1): the query it sends, and
/// answers built here byte by byte as a server (or an attacker) would send them.</summary>
[TestFixture]
public sealed class DnsMessageTests
{
    private const ushort Id = 0x1234;

    // svc.netnsfs.test, as labels: the question every answer below repeats (it starts at offset 12).
    private static readonly byte[] SvcName =
    [
        3, (byte)'s', (byte)'v', (byte)'c',
        7, (byte)'n', (byte)'e', (byte)'t', (byte)'n', (byte)'s', (byte)'f', (byte)'s',
        4, (byte)'t', (byte)'e', (byte)'s', (byte)'t',
        0,
    ];

    /// <summary>Header: id, flags, then the four section counts.</summary>
    private static byte[] Header(ushort id, ushort flags, ushort qd, ushort an) =>
        [(byte)(id >> 8), (byte)id, (byte)(flags >> 8), (byte)flags, 0, (byte)qd, 0, (byte)an, 0, 0, 0, 0];

    /// <summary>The question section for svc.netnsfs.test, type <paramref name="type"/>, class IN.</summary>
    private static byte[] Question(ushort type) => [.. SvcName, 0, (byte)type, 0, 1];

    /// <summary>A resource record: owner name bytes, type, class IN, TTL 60, rdata.</summary>
    private static byte[] Record(byte[] owner, ushort type, byte[] rdata) =>
        [.. owner, 0, (byte)type, 0, 1, 0, 0, 0, 60, (byte)(rdata.Length >> 8), (byte)rdata.Length, .. rdata];

    private static readonly byte[] PointerToQuestion = [0xC0, 0x0C];

    private static (DnsMessage.Result Result, IPAddress? Address) Parse(byte[] msg, ushort type = DnsMessage.TypeA, ushort id = Id)
    {
        var r = DnsMessage.ParseAnswer(msg, id, type, out var address);
        return (r, address);
    }

    [Test]
    public void Query_for_an_A_record_is_pinned()
    {
        var buf = new byte[512];
        Array.Fill(buf, (byte)0xCC);
        int n = DnsMessage.WriteQuery(buf, Id, "svc.netnsfs.test", DnsMessage.TypeA);
        byte[] expected =
        [
            0x12, 0x34, // id
            0x01, 0x00, // flags: RD
            0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // one question, nothing else
            .. SvcName,
            0x00, 0x01, // type A
            0x00, 0x01, // class IN
        ];
        Assert.That(n, Is.EqualTo(expected.Length));
        Assert.That(buf[..n], Is.EqualTo(expected));
        Assert.That(buf[n..], Is.All.EqualTo(0xCC), "nothing written past the query");
    }

    [Test]
    public void Query_for_AAAA_with_a_trailing_dot_is_the_same_name()
    {
        var a = new byte[512];
        var b = new byte[512];
        int n = DnsMessage.WriteQuery(a, Id, "svc.netnsfs.test.", DnsMessage.TypeAaaa);
        int m = DnsMessage.WriteQuery(b, Id, "svc.netnsfs.test", DnsMessage.TypeAaaa);
        Assert.That(a[..n], Is.EqualTo(b[..m]));
        Assert.That(a[(n - 4)..n], Is.EqualTo(new byte[] { 0x00, 0x1C, 0x00, 0x01 }), "type 28, class IN");
    }

    [TestCase("a..b", TestName = "Query_refuses_an_empty_label")]
    [TestCase("", TestName = "Query_refuses_the_empty_name")]
    [TestCase("caf\u00e9.test", TestName = "Query_refuses_a_name_that_is_not_ASCII")]
    public void Query_refuses_names_it_cannot_encode(string name) =>
        Assert.That(DnsMessage.WriteQuery(new byte[512], Id, name, DnsMessage.TypeA), Is.Zero);

    [Test]
    public void Query_refuses_a_label_over_63_and_a_name_over_255()
    {
        Assert.That(DnsMessage.WriteQuery(new byte[512], Id, new string('a', 64) + ".test", DnsMessage.TypeA), Is.Zero);
        Assert.That(DnsMessage.WriteQuery(new byte[512], Id, new string('a', 63) + ".test", DnsMessage.TypeA), Is.Positive);
        string longName = string.Join('.', Enumerable.Repeat(new string('a', 63), 4)); // 4 * 64 + 1 = 257 bytes
        Assert.That(DnsMessage.WriteQuery(new byte[1024], Id, longName, DnsMessage.TypeA), Is.Zero);
    }

    [Test]
    public void Query_refuses_a_buffer_too_small() =>
        Assert.That(DnsMessage.WriteQuery(new byte[20], Id, "svc.netnsfs.test", DnsMessage.TypeA), Is.Zero);

    [Test]
    public void A_record_behind_a_compression_pointer_to_the_question()
    {
        byte[] msg = [.. Header(Id, 0x8180, 1, 1), .. Question(1), .. Record(PointerToQuestion, 1, [10, 1, 2, 3])];
        Assert.That(Parse(msg), Is.EqualTo((DnsMessage.Result.Address, IPAddress.Parse("10.1.2.3"))));
    }

    [Test]
    public void AAAA_record()
    {
        byte[] v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53];
        byte[] msg = [.. Header(Id, 0x8180, 1, 1), .. Question(28), .. Record(PointerToQuestion, 28, v6)];
        Assert.That(Parse(msg, DnsMessage.TypeAaaa), Is.EqualTo((DnsMessage.Result.Address, IPAddress.Parse("2001:db8::53"))));
    }

    [Test]
    public void CNAME_chain_ends_in_the_address_of_its_last_name()
    {
        // svc -> edge.cdn (a label, then a pointer to "test" at offset 12 + 4 + 8 = 24), edge.cdn -> 192.0.2.7
        byte[] edgeCdn = [4, (byte)'e', (byte)'d', (byte)'g', (byte)'e', 3, (byte)'c', (byte)'d', (byte)'n', 0xC0, 24];
        byte[] head = [.. Header(Id, 0x8180, 1, 2), .. Question(1)];
        byte[] cname = Record(PointerToQuestion, 5, edgeCdn);
        int edgeAt = head.Length + cname.Length - edgeCdn.Length; // where edge.cdn's name stands
        byte[] a = Record([0xC0, (byte)edgeAt], 1, [192, 0, 2, 7]);
        Assert.That(Parse([.. head, .. cname, .. a]), Is.EqualTo((DnsMessage.Result.Address, IPAddress.Parse("192.0.2.7"))));
    }

    [Test]
    public void CNAME_without_an_address_is_no_address()
    {
        byte[] alias = [5, (byte)'o', (byte)'t', (byte)'h', (byte)'e', (byte)'r', 0xC0, 24];
        byte[] msg = [.. Header(Id, 0x8180, 1, 1), .. Question(1), .. Record(PointerToQuestion, 5, alias)];
        Assert.That(Parse(msg), Is.EqualTo((DnsMessage.Result.NoAddress, (IPAddress?)null)));
    }

    [Test]
    public void A_record_of_the_wrong_length_is_skipped()
    {
        byte[] msg = [.. Header(Id, 0x8180, 1, 2), .. Question(1), .. Record(PointerToQuestion, 1, [1, 2, 3]), .. Record(PointerToQuestion, 1, [10, 0, 0, 9])];
        Assert.That(Parse(msg), Is.EqualTo((DnsMessage.Result.Address, IPAddress.Parse("10.0.0.9"))));
    }

    [Test]
    public void NXDOMAIN_is_no_such_name()
    {
        byte[] msg = [.. Header(Id, 0x8183, 1, 0), .. Question(1)];
        Assert.That(Parse(msg).Result, Is.EqualTo(DnsMessage.Result.NoSuchName));
    }

    [Test]
    public void SERVFAIL_and_REFUSED_are_server_failures()
    {
        Assert.That(Parse([.. Header(Id, 0x8182, 1, 0), .. Question(1)]).Result, Is.EqualTo(DnsMessage.Result.ServerFailure));
        Assert.That(Parse([.. Header(Id, 0x8185, 1, 0), .. Question(1)]).Result, Is.EqualTo(DnsMessage.Result.ServerFailure));
    }

    [Test]
    public void Empty_answer_is_no_address() =>
        Assert.That(Parse([.. Header(Id, 0x8180, 1, 0), .. Question(1)]).Result, Is.EqualTo(DnsMessage.Result.NoAddress));

    [Test]
    public void Another_id_is_not_our_answer()
    {
        byte[] msg = [.. Header(0x4321, 0x8180, 1, 1), .. Question(1), .. Record(PointerToQuestion, 1, [10, 1, 2, 3])];
        Assert.That(Parse(msg), Is.EqualTo((DnsMessage.Result.Malformed, (IPAddress?)null)));
    }

    [Test]
    public void A_query_is_not_an_answer()
    {
        byte[] msg = [.. Header(Id, 0x0100, 1, 1), .. Question(1), .. Record(PointerToQuestion, 1, [10, 1, 2, 3])];
        Assert.That(Parse(msg).Result, Is.EqualTo(DnsMessage.Result.Malformed));
    }

    [Test]
    public void Truncated_before_the_address_is_truncated()
    {
        byte[] whole = [.. Header(Id, 0x8380, 1, 1), .. Question(1), .. Record(PointerToQuestion, 1, [10, 1, 2, 3])];
        Assert.That(Parse(whole[..^6]), Is.EqualTo((DnsMessage.Result.Truncated, (IPAddress?)null)), "TC, cut inside the record");
        Assert.That(Parse([.. Header(Id, 0x8380, 1, 0), .. Question(1)]).Result, Is.EqualTo(DnsMessage.Result.Truncated), "TC, no record at all");
    }

    [Test]
    public void Truncated_after_the_address_still_gives_it()
    {
        byte[] msg = [.. Header(Id, 0x8380, 1, 2), .. Question(1), .. Record(PointerToQuestion, 1, [10, 1, 2, 3]), 0xC0];
        Assert.That(Parse(msg), Is.EqualTo((DnsMessage.Result.Address, IPAddress.Parse("10.1.2.3"))));
    }

    [Test]
    public void Cut_short_without_TC_is_malformed()
    {
        byte[] whole = [.. Header(Id, 0x8180, 1, 1), .. Question(1), .. Record(PointerToQuestion, 1, [10, 1, 2, 3])];
        for (int cut = 1; cut < whole.Length - 12; cut++)
            Assert.That(Parse(whole[..^cut]).Result, Is.EqualTo(DnsMessage.Result.Malformed), $"cut {cut}");
        Assert.That(Parse(whole[..11]).Result, Is.EqualTo(DnsMessage.Result.Malformed), "shorter than a header");
    }

    [Test]
    public void Rdata_longer_than_the_message_is_malformed()
    {
        byte[] msg = [.. Header(Id, 0x8180, 1, 1), .. Question(1), .. PointerToQuestion, 0, 1, 0, 1, 0, 0, 0, 60, 0x01, 0x00, 10, 1, 2, 3];
        Assert.That(Parse(msg).Result, Is.EqualTo(DnsMessage.Result.Malformed));
    }

    [Test]
    public void A_pointer_loop_is_not_followed()
    {
        // The answer's owner name points at itself; the question's name is a pointer to the
        // answer's. A resolver that followed pointers would loop; this one steps over them.
        byte[] head = [.. Header(Id, 0x8180, 1, 1)];
        int answerAt = head.Length + 2 + 4;
        byte[] question = [0xC0, (byte)answerAt, 0, 1, 0, 1];
        byte[] msg = [.. head, .. question, .. Record([0xC0, (byte)answerAt], 1, [10, 9, 8, 7])];
        var t = Task.Run(() => Parse(msg));
        Assert.That(t.Wait(TimeSpan.FromSeconds(5)), Is.True, "parsing a pointer loop ended");
        Assert.That(t.Result, Is.EqualTo((DnsMessage.Result.Address, IPAddress.Parse("10.9.8.7"))));
    }

    [Test]
    public void A_name_of_endless_labels_is_malformed()
    {
        // 300 one-byte labels and no end: longer than any name may be.
        var labels = Enumerable.Range(0, 300).SelectMany(_ => new byte[] { 1, (byte)'x' }).ToArray();
        byte[] msg = [.. Header(Id, 0x8180, 1, 0), .. labels, 0, 0, 1, 0, 1];
        Assert.That(Parse(msg).Result, Is.EqualTo(DnsMessage.Result.Malformed));
    }

    [Test]
    public void Reserved_label_types_are_malformed()
    {
        byte[] msg = [.. Header(Id, 0x8180, 1, 0), 0x41, (byte)'x', 0, 0, 1, 0, 1];
        Assert.That(Parse(msg).Result, Is.EqualTo(DnsMessage.Result.Malformed));
    }
}
