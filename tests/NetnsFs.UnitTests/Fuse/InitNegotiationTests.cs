using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Fuse;

/// <summary>The INIT decision: versions, pages, write size and flags, from what the kernel offers.</summary>
[TestFixture]
public sealed class InitNegotiationTests
{
    private const uint OneMiB = 1 << 20;

    /// <summary>What a 7.45 kernel offers (low word) and its flags2.</summary>
    private static readonly InitFlags ModernOffer =
        InitFlags.AsyncRead | InitFlags.PosixLocks | InitFlags.AtomicOTrunc | InitFlags.ExportSupport | InitFlags.BigWrites |
        InitFlags.DontMask | InitFlags.SpliceWrite | InitFlags.SpliceMove | InitFlags.SpliceRead | InitFlags.FlockLocks |
        InitFlags.HasIoctlDir | InitFlags.AutoInvalData | InitFlags.DoReaddirplus | InitFlags.ReaddirplusAuto | InitFlags.AsyncDio |
        InitFlags.WritebackCache | InitFlags.NoOpenSupport | InitFlags.ParallelDirops | InitFlags.HandleKillpriv | InitFlags.PosixAcl |
        InitFlags.AbortError | InitFlags.MaxPages | InitFlags.CacheSymlinks | InitFlags.NoOpendirSupport | InitFlags.ExplicitInvalData |
        InitFlags.HandleKillprivV2 | InitFlags.SetxattrExt | InitFlags.InitExt;

    private static readonly InitFlags ModernOffer2 =
        InitFlags.SecurityCtx | InitFlags.CreateSuppGroup | InitFlags.HasExpireOnly | InitFlags.DirectIoAllowMmap |
        InitFlags.Passthrough | InitFlags.NoExportSupport | InitFlags.HasResend | InitFlags.AllowIdmap | InitFlags.RequestTimeout;

    private static FuseInitIn Offer(uint minor, InitFlags low, InitFlags high = 0, uint readahead = 128 * 1024) => new()
    {
        Major = 7,
        Minor = minor,
        MaxReadahead = readahead,
        Flags = (uint)((ulong)low & 0xFFFF_FFFF),
        Flags2 = (uint)((ulong)high >> 32),
    };

    [Test]
    public void A_modern_kernel_gets_1MiB_writes_in_256_pages()
    {
        var reply = InitNegotiation.Negotiate(Offer(45, ModernOffer, ModernOffer2), OneMiB, out var info);
        Assert.Multiple(() =>
        {
            Assert.That(reply.Major, Is.EqualTo(7u));
            Assert.That(reply.Minor, Is.EqualTo(38u), "min(ours 38, kernel 45)");
            Assert.That(reply.MaxPages, Is.EqualTo((ushort)256));
            Assert.That(reply.MaxWrite, Is.EqualTo(OneMiB));
            Assert.That(reply.MaxReadahead, Is.EqualTo(128u * 1024), "readahead echoed");
            Assert.That(info.MaxPages, Is.EqualTo((ushort)256));
            Assert.That(info.MaxWrite, Is.EqualTo(OneMiB));
            Assert.That(info.KernelMinor, Is.EqualTo(45u));
        });
    }

    [Test]
    public void Without_max_pages_the_kernel_default_of_32_pages_applies()
    {
        var reply = InitNegotiation.Negotiate(Offer(45, ModernOffer & ~InitFlags.MaxPages), OneMiB, out var info);
        Assert.Multiple(() =>
        {
            Assert.That(reply.MaxPages, Is.EqualTo((ushort)32));
            Assert.That(reply.MaxWrite, Is.EqualTo(32u * 4096), "max_write cannot exceed 32 pages");
            Assert.That(reply.Flags & (uint)InitFlags.MaxPages, Is.Zero, "FUSE_MAX_PAGES not claimed when not offered");
            Assert.That(info.MaxPages, Is.EqualTo((ushort)32));
        });
    }

    [Test]
    public void A_smaller_configured_max_write_wins()
    {
        var reply = InitNegotiation.Negotiate(Offer(45, ModernOffer), 64 * 1024, out var info);
        Assert.That(reply.MaxWrite, Is.EqualTo(64u * 1024));
        Assert.That(info.MaxWrite, Is.EqualTo(64u * 1024));
    }

    [TestCase(45u, 38u)]
    [TestCase(38u, 38u)]
    [TestCase(36u, 36u)]
    [TestCase(31u, 31u)]
    [TestCase(26u, 26u)]
    public void Minor_is_the_lower_of_ours_and_the_kernels(uint kernel, uint expected)
    {
        var reply = InitNegotiation.Negotiate(Offer(kernel, InitFlags.AsyncRead), OneMiB, out var info);
        Assert.That(reply.Minor, Is.EqualTo(expected));
        Assert.That(info.KernelMinor, Is.EqualTo(kernel));
    }

    [Test]
    public void Agreed_flags_are_what_we_want_of_what_is_offered()
    {
        var reply = InitNegotiation.Negotiate(Offer(45, ModernOffer, ModernOffer2), OneMiB, out var info);
        var agreed = (InitFlags)(reply.Flags | ((ulong)reply.Flags2 << 32));
        Assert.Multiple(() =>
        {
            Assert.That(agreed, Is.EqualTo(InitNegotiation.Wanted), "everything we want is offered by 7.45");
            Assert.That(info.AgreedFlags, Is.EqualTo(agreed));
            Assert.That(agreed & InitFlags.WritebackCache, Is.EqualTo(InitFlags.None), "offered but not wanted");
            Assert.That(agreed & InitFlags.DoReaddirplus, Is.EqualTo(InitFlags.None));
        });

        var minimal = InitNegotiation.Negotiate(Offer(45, InitFlags.AsyncRead | InitFlags.SpliceRead), OneMiB, out var minimalInfo);
        Assert.That((InitFlags)minimal.Flags, Is.EqualTo(InitFlags.AsyncRead), "never claims what was not offered");
        Assert.That(minimal.Flags2, Is.Zero);
        Assert.That(minimalInfo.AgreedFlags, Is.EqualTo(InitFlags.AsyncRead));
    }

    [Test]
    public void Flags2_is_read_only_with_INIT_EXT()
    {
        InitNegotiation.Negotiate(Offer(45, ModernOffer, ModernOffer2), OneMiB, out var withExt);
        Assert.That(withExt.KernelFlags & ModernOffer2, Is.EqualTo(ModernOffer2), "INIT_EXT: flags2 is the high word of the offer");

        var noExt = Offer(45, ModernOffer & ~InitFlags.InitExt);
        noExt.Flags2 = 0xFFFF_FFFF; // garbage where a pre-7.36 kernel has no field
        var reply = InitNegotiation.Negotiate(noExt, OneMiB, out var withoutExt);
        Assert.Multiple(() =>
        {
            Assert.That((ulong)withoutExt.KernelFlags >> 32, Is.Zero, "without INIT_EXT flags2 is ignored");
            Assert.That(reply.Flags & (uint)InitFlags.InitExt, Is.Zero, "INIT_EXT not answered when not offered");
            Assert.That(reply.Flags2, Is.Zero);
        });
    }

    [Test]
    public void With_INIT_EXT_the_reply_claims_it_and_flags2_holds_only_agreed_high_bits()
    {
        var reply = InitNegotiation.Negotiate(Offer(45, ModernOffer, ModernOffer2), OneMiB, out _);
        Assert.That(reply.Flags & (uint)InitFlags.InitExt, Is.Not.Zero);
        ulong wantedHigh = (ulong)InitNegotiation.Wanted >> 32;
        Assert.That(reply.Flags2, Is.EqualTo((uint)(wantedHigh & ((ulong)ModernOffer2 >> 32))));
    }

    [Test]
    public void Background_and_time_granularity_are_sane()
    {
        var reply = InitNegotiation.Negotiate(Offer(45, ModernOffer), OneMiB, out _);
        Assert.That(reply.MaxBackground, Is.GreaterThan((ushort)0));
        Assert.That(reply.CongestionThreshold, Is.GreaterThan((ushort)0).And.LessThanOrEqualTo(reply.MaxBackground));
        Assert.That(reply.TimeGran, Is.EqualTo(1u));
    }
}
