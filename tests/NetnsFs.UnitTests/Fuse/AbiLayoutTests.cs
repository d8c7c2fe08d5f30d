using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;
using NUnit.Framework;

namespace NetnsFs.UnitTests.Fuse;

/// <summary>Every ABI struct and constant we mirror, compared with what the C compiler makes of this
/// machine's linux/fuse.h: a C probe, generated from the header's own struct definitions, prints
/// sizeof/offsetof of every member and the value of every constant, and each must match ours.
/// Needs cc and the kernel headers, not root: it runs as any user.</summary>
[TestFixture]
public sealed partial class AbiLayoutTests
{
    private const string HeaderPath = "/usr/include/linux/fuse.h";

    /// <summary>Our structs and the C structs they mirror (fuse_statfs_out is one fuse_kstatfs).</summary>
    private static readonly (Type Type, string CStruct)[] Mirrors =
    [
        (typeof(FuseInHeader), "fuse_in_header"),
        (typeof(FuseOutHeader), "fuse_out_header"),
        (typeof(FuseAttr), "fuse_attr"),
        (typeof(FuseEntryOut), "fuse_entry_out"),
        (typeof(FuseAttrOut), "fuse_attr_out"),
        (typeof(FuseGetAttrIn), "fuse_getattr_in"),
        (typeof(FuseSetAttrIn), "fuse_setattr_in"),
        (typeof(FuseStatfsOut), "fuse_kstatfs"),
        (typeof(FuseForgetIn), "fuse_forget_in"),
        (typeof(FuseForgetOne), "fuse_forget_one"),
        (typeof(FuseBatchForgetIn), "fuse_batch_forget_in"),
        (typeof(FuseMkNodIn), "fuse_mknod_in"),
        (typeof(FuseMkDirIn), "fuse_mkdir_in"),
        (typeof(FuseAccessIn), "fuse_access_in"),
        (typeof(FuseOpenIn), "fuse_open_in"),
        (typeof(FuseCreateIn), "fuse_create_in"),
        (typeof(FuseOpenOut), "fuse_open_out"),
        (typeof(FuseReleaseIn), "fuse_release_in"),
        (typeof(FuseFlushIn), "fuse_flush_in"),
        (typeof(FuseReadIn), "fuse_read_in"),
        (typeof(FuseWriteIn), "fuse_write_in"),
        (typeof(FuseWriteOut), "fuse_write_out"),
        (typeof(FusePollIn), "fuse_poll_in"),
        (typeof(FusePollOut), "fuse_poll_out"),
        (typeof(FuseNotifyPollWakeupOut), "fuse_notify_poll_wakeup_out"),
        (typeof(FuseInterruptIn), "fuse_interrupt_in"),
        (typeof(FuseNotifyInvalEntryOut), "fuse_notify_inval_entry_out"),
        (typeof(FuseDirent), "fuse_dirent"),
        (typeof(FuseInitIn), "fuse_init_in"),
        (typeof(FuseInitOut), "fuse_init_out"),
    ];

    /// <summary>Enums of ours, and where their values live in the header: the prefix of the C names,
    /// and for true C enums the enum's name (its constants only are candidates).</summary>
    private static readonly (Type Enum, string Prefix, string? CEnum)[] EnumMirrors =
    [
        (typeof(FuseOpcode), "FUSE_", "fuse_opcode"),
        (typeof(FuseNotifyCode), "FUSE_NOTIFY_", "fuse_notify_code"),
        (typeof(InitFlags), "FUSE_", null),
        (typeof(OpenReplyFlags), "FOPEN_", null),
        (typeof(SetAttrValid), "FATTR_", null),
        (typeof(PollFlags), "FUSE_POLL_", null),
    ];

    /// <summary>The init flags newer than this machine's header (7.38), as the kernel writes them:
    /// lines of include/uapi/linux/fuse.h at 7.42 (Linux 6.14), copied, not restated by our enum's
    /// names. The probe compiles them (each only where the header has no such name) and our
    /// members are matched to them by name like every other constant, so a wrong bit in
    /// <see cref="InitFlags"/> fails. Three of them (bits 32, 33, 35) are in this header too: they anchor the copy
    /// (<see cref="Upstream_lines_agree_with_this_header_where_both_have_the_name"/>).</summary>
    private const string UpstreamHeaderLines = """
        #define FUSE_SECURITY_CTX	(1ULL << 32)
        #define FUSE_HAS_INODE_DAX	(1ULL << 33)
        #define FUSE_CREATE_SUPP_GROUP	(1ULL << 34)
        #define FUSE_HAS_EXPIRE_ONLY	(1ULL << 35)
        #define FUSE_DIRECT_IO_ALLOW_MMAP (1ULL << 36)
        #define FUSE_PASSTHROUGH	(1ULL << 37)
        #define FUSE_NO_EXPORT_SUPPORT	(1ULL << 38)
        #define FUSE_HAS_RESEND		(1ULL << 39)
        #define FUSE_ALLOW_IDMAP	(1ULL << 40)
        #define FUSE_OVER_IO_URING	(1ULL << 41)
        #define FUSE_REQUEST_TIMEOUT	(1ULL << 42)
        """;

    /// <summary>Not in the uapi header: the kernel's own definition (fs/fuse/fuse_dev_i.h, "Ordinary
    /// requests have even IDs, while interrupts IDs are odd").</summary>
    private const string KernelInternalLines = """
        #define FUSE_INT_REQ_BIT (1ULL << 0)
        """;

    /// <summary>Names the upstream lines define, with their expressions, in order.</summary>
    private static readonly (string Name, string Value)[] Upstream =
        [.. DefineRegex().Matches(UpstreamHeaderLines + "\n" + KernelInternalLines).Select(m => (m.Groups["name"].Value, m.Groups["value"].Value.Trim()))];

    private readonly Dictionary<string, List<CMember>> _structs = [];
    private readonly Dictionary<string, long> _sizes = [];
    private readonly Dictionary<string, (long Offset, long Size)> _offsets = [];
    private readonly Dictionary<string, ulong> _values = [];
    private readonly Dictionary<(Type, string), string?> _enumNames = [];
    private HashSet<string> _headerMacros = [];
    private string _probeOutput = "";

    private sealed record CMember(string Name, bool Flexible);

    [OneTimeSetUp]
    public void CompileAndRunProbe()
    {
        string header = File.ReadAllText(HeaderPath);
        string code = CommentRegex().Replace(header, " ");
        foreach (var name in Mirrors.Select(m => m.CStruct).Append("fuse_statfs_out").Distinct())
            _structs[name] = ParseStruct(code, name);

        _headerMacros = MacroRegex().Matches(code).Select(m => m.Groups[1].Value).ToHashSet();
        var macros = _headerMacros.Union(Upstream.Select(u => u.Name)).ToHashSet();
        var constants = new List<string> { "FUSE_KERNEL_VERSION", "FUSE_KERNEL_MINOR_VERSION", "FUSE_ROOT_ID", "FUSE_MIN_READ_BUFFER", "FUSE_INT_REQ_BIT" };
        foreach (var (type, prefix, cEnum) in EnumMirrors)
        {
            var candidates = cEnum is null ? macros : ParseEnum(code, cEnum);
            foreach (var member in CheckedMembers(type))
            {
                var matches = candidates.Where(c => c.StartsWith(prefix, StringComparison.Ordinal) && Normalize(c[prefix.Length..]) == Normalize(member)).ToList();
                Assert.That(matches, Has.Count.LessThanOrEqualTo(1), $"{type.Name}.{member} matches several C names");
                _enumNames[(type, member)] = matches.SingleOrDefault();
                constants.AddRange(matches);
            }
        }

        var src = new StringBuilder();
        src.AppendLine("#include <stdio.h>\n#include <stddef.h>\n#include <sys/ioctl.h>\n#include <linux/fuse.h>");
        // Each upstream line twice: as UPSTREAM_NAME always (to compare with the header), and as
        // NAME where the header has none.
        foreach (var (name, value) in Upstream)
            src.AppendLine(CultureInfo.InvariantCulture, $"#define UPSTREAM_{name} {value}\n#ifndef {name}\n#define {name} {value}\n#endif");
        constants.AddRange(Upstream.Select(u => "UPSTREAM_" + u.Name));
        src.AppendLine("int main(void) {");
        foreach (var (name, members) in _structs)
        {
            src.AppendLine(CultureInfo.InvariantCulture, $"  printf(\"size {name} %zu\\n\", sizeof(struct {name}));");
            foreach (var m in members)
            {
                string size = m.Flexible ? "(size_t)0" : $"sizeof(((struct {name} *)0)->{m.Name})";
                src.AppendLine(CultureInfo.InvariantCulture, $"  printf(\"off {name}.{m.Name} %zu %zu\\n\", offsetof(struct {name}, {m.Name}), {size});");
            }
        }
        foreach (var c in constants.Distinct())
            src.AppendLine(CultureInfo.InvariantCulture, $"  printf(\"val {c} %llu %zu\\n\", (unsigned long long)({c}), sizeof({c}));");
        src.AppendLine("  return 0;\n}");

        var dir = Directory.CreateTempSubdirectory("netnsfs-abi-");
        try
        {
            string cFile = Path.Combine(dir.FullName, "probe.c");
            string exe = Path.Combine(dir.FullName, "probe");
            File.WriteAllText(cFile, src.ToString());
            RunChecked("cc", ["-std=gnu11", "-Wall", "-Werror", "-o", exe, cFile], TimeSpan.FromSeconds(60));
            _probeOutput = RunChecked(exe, [], TimeSpan.FromSeconds(10));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
        foreach (var line in _probeOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ');
            switch (f[0])
            {
                case "size":
                    _sizes[f[1]] = long.Parse(f[2], CultureInfo.InvariantCulture);
                    break;
                case "off":
                    _offsets[f[1]] = (long.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture));
                    break;
                case "val":
                    // (1 << 31) is a negative int in C: compare the bits of its own width.
                    ulong v = ulong.Parse(f[2], CultureInfo.InvariantCulture);
                    _values[f[1]] = f[3] == "4" ? v & 0xFFFF_FFFF : v;
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>Runs a program to its end (bounded) and returns its stdout; fails the fixture if it fails.</summary>
    private static string RunChecked(string file, string[] args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} did not finish within {timeout.TotalSeconds} s");
        }
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, $"{file} {string.Join(' ', args)}: {stderr.Result}");
        return stdout.Result;
    }

    private static List<CMember> ParseStruct(string code, string name)
    {
        var m = Regex.Match(code, @"\bstruct\s+" + name + @"\s*\{(?<body>[^}]*)\}\s*;");
        Assert.That(m.Success, Is.True, $"struct {name} not found in {HeaderPath}");
        var members = new List<CMember>();
        foreach (var decl in m.Groups["body"].Value.Split(';').Select(d => d.Trim()).Where(d => d.Length > 0))
        {
            var dm = MemberRegex().Match(decl);
            Assert.That(dm.Success, Is.True, $"cannot parse member '{decl}' of struct {name}");
            members.Add(new CMember(dm.Groups["name"].Value, dm.Groups["array"].Success && dm.Groups["len"].Value.Length == 0));
        }
        return members;
    }

    private static HashSet<string> ParseEnum(string code, string name)
    {
        var m = Regex.Match(code, @"\benum\s+" + name + @"\s*\{(?<body>[^}]*)\}");
        Assert.That(m.Success, Is.True, $"enum {name} not found");
        return m.Groups["body"].Value.Split(',').Select(e => e.Split('=')[0].Trim()).Where(e => e.Length > 0).ToHashSet();
    }

    /// <summary>Members that are one value: every opcode/code; single bits of flag enums.</summary>
    private static IEnumerable<string> CheckedMembers(Type enumType)
    {
        bool isFlags = enumType.IsDefined(typeof(FlagsAttribute));
        foreach (var name in Enum.GetNames(enumType))
        {
            ulong v = Convert.ToUInt64(Enum.Parse(enumType, name), CultureInfo.InvariantCulture);
            if (isFlags && (v == 0 || (v & (v - 1)) != 0))
                continue;
            yield return name;
        }
    }

    private static string Normalize(string s) => s.Replace("_", "", StringComparison.Ordinal).ToUpperInvariant();

    private static IEnumerable<FieldInfo> Fields(Type t) =>
        t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).OrderBy(f => Marshal.OffsetOf(t, f.Name).ToInt64());

    /// <summary>Bytes of a field: primitives, nested mirrored structs, and fixed buffers.</summary>
    private static int FieldSize(FieldInfo f)
    {
        var fixedBuffer = f.GetCustomAttribute<FixedBufferAttribute>();
        if (fixedBuffer is not null)
            return fixedBuffer.Length * Marshal.SizeOf(fixedBuffer.ElementType);
        return Marshal.SizeOf(f.FieldType);
    }

    private static int ManagedSize(Type t) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(t).Invoke(null, null)!;

    public static IEnumerable<TestCaseData> MirrorCases() =>
        Mirrors.Select(m => new TestCaseData(m.Type, m.CStruct).SetArgDisplayNames(m.Type.Name));

    [TestCaseSource(nameof(MirrorCases))]
    public void Struct_size_matches_the_kernel_header(Type type, string cStruct)
    {
        Assert.That(_sizes, Does.ContainKey(cStruct), _probeOutput);
        Assert.Multiple(() =>
        {
            Assert.That(ManagedSize(type), Is.EqualTo(_sizes[cStruct]), "Unsafe.SizeOf (what MemoryMarshal reads and writes)");
            Assert.That(Marshal.SizeOf(type), Is.EqualTo(_sizes[cStruct]), "Marshal.SizeOf");
        });
    }

    [TestCaseSource(nameof(MirrorCases))]
    public void Every_field_sits_where_the_kernel_expects_it(Type type, string cStruct)
    {
        var cMembers = _structs[cStruct];
        var ours = Fields(type).ToList();
        var byName = ours.ToDictionary(f => Normalize(f.Name.Replace("<", "", StringComparison.Ordinal).Split('>')[0]));
        Assert.Multiple(() =>
        {
            foreach (var m in cMembers)
            {
                var (offset, size) = _offsets[$"{cStruct}.{m.Name}"];
                if (m.Flexible)
                {
                    Assert.That(offset, Is.EqualTo(_sizes[cStruct]), $"{cStruct}.{m.Name}[] follows the struct");
                    continue;
                }
                if (!byName.TryGetValue(Normalize(m.Name), out var field))
                {
                    Assert.Fail($"{type.Name} has no field for {cStruct}.{m.Name}");
                    continue;
                }
                Assert.That(Marshal.OffsetOf(type, field.Name).ToInt64(), Is.EqualTo(offset), $"offset of {type.Name}.{field.Name} ({cStruct}.{m.Name})");
                Assert.That(FieldSize(field), Is.EqualTo(size), $"size of {type.Name}.{field.Name} ({cStruct}.{m.Name})");
            }
            Assert.That(ours, Has.Count.EqualTo(cMembers.Count(m => !m.Flexible)), $"{type.Name} has fields the header does not: {string.Join(", ", ours.Select(f => f.Name))}");
        });
    }

    /// <summary>Marshal.OffsetOf is the marshaller's layout; MemoryMarshal.Write uses the runtime's.
    /// Set each primitive field to all ones and see where the bytes land in memory.</summary>
    [TestCaseSource(nameof(MirrorCases))]
    public void In_memory_layout_matches_the_marshalled_layout(Type type, string cStruct)
    {
        var toBytes = typeof(AbiLayoutTests).GetMethod(nameof(ToBytes), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(type);
        Assert.Multiple(() =>
        {
            foreach (var f in Fields(type).Where(f => f.FieldType.IsPrimitive))
            {
                object boxed = Activator.CreateInstance(type)!;
                object ones = Type.GetTypeCode(f.FieldType) switch
                {
                    TypeCode.UInt64 => ulong.MaxValue,
                    TypeCode.UInt32 => uint.MaxValue,
                    TypeCode.UInt16 => ushort.MaxValue,
                    TypeCode.Int32 => -1,
                    _ => throw new NotSupportedException(f.FieldType.Name),
                };
                f.SetValue(boxed, ones);
                var bytes = (byte[])toBytes.Invoke(null, [boxed])!;
                int first = Array.IndexOf(bytes, (byte)0xFF);
                int count = bytes.Count(b => b == 0xFF);
                Assert.That((first, count), Is.EqualTo(((int)Marshal.OffsetOf(type, f.Name), Marshal.SizeOf(f.FieldType))), $"{type.Name}.{f.Name} (of {cStruct}) in memory");
            }
        });
    }

    private static byte[] ToBytes<T>(object boxed) where T : unmanaged
    {
        T value = (T)boxed;
        return MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ToArray();
    }

    [Test]
    public void Statfs_reply_is_one_kstatfs()
    {
        Assert.That(_structs["fuse_statfs_out"].Select(m => m.Name), Is.EqualTo(new[] { "st" }));
        Assert.That(_sizes["fuse_statfs_out"], Is.EqualTo(Unsafe.SizeOf<FuseStatfsOut>()));
    }

    /// <summary>CREATE's reply is fuse_entry_out then fuse_open_out, packed with no gap.</summary>
    [Test]
    public void Create_reply_is_entry_out_then_open_out()
    {
        var createOut = typeof(FuseSession).GetNestedType("CreateOut", BindingFlags.NonPublic);
        Assert.That(createOut, Is.Not.Null, "FuseSession.CreateOut");
        Assert.Multiple(() =>
        {
            Assert.That(ManagedSize(createOut!), Is.EqualTo(_sizes["fuse_entry_out"] + _sizes["fuse_open_out"]));
            Assert.That(Marshal.OffsetOf(createOut!, "Open").ToInt64(), Is.EqualTo(_sizes["fuse_entry_out"]));
        });
    }

    public static IEnumerable<TestCaseData> EnumCases() =>
        EnumMirrors.Select(e => new TestCaseData(e.Enum).SetArgDisplayNames(e.Enum.Name));

    [TestCaseSource(nameof(EnumCases))]
    public void Enum_values_match_the_kernel_header(Type enumType)
    {
        Assert.Multiple(() =>
        {
            foreach (var member in CheckedMembers(enumType))
            {
                ulong ours = Convert.ToUInt64(Enum.Parse(enumType, member), CultureInfo.InvariantCulture);
                string? cName = _enumNames[(enumType, member)];
                if (cName is null)
                {
                    Assert.Fail($"{enumType.Name}.{member} has no counterpart in {HeaderPath} nor in the upstream lines");
                    continue;
                }
                Assert.That(ours, Is.EqualTo(_values[cName]), $"{enumType.Name}.{member} = {cName}");
            }
        });
    }

    /// <summary>The copied lines are the kernel's: where this header has the name too, the compiler
    /// gives both the same value (the anchors must be there, so this cannot pass empty).</summary>
    [Test]
    public void Upstream_lines_agree_with_this_header_where_both_have_the_name()
    {
        var shared = Upstream.Select(u => u.Name).Where(_headerMacros.Contains).ToList();
        Assert.That(shared, Has.Count.GreaterThanOrEqualTo(3), "anchor lines present in this header");
        Assert.Multiple(() =>
        {
            foreach (var name in shared)
                Assert.That(_values["UPSTREAM_" + name], Is.EqualTo(_values[name]), name);
        });
    }

    /// <summary>Every init flag of ours newer than this header is one of the kernel's copied lines:
    /// none is only in our enum.</summary>
    [Test]
    public void Init_flags_newer_than_the_header_are_matched_to_upstream_lines()
    {
        var newer = CheckedMembers(typeof(InitFlags)).Where(m => _enumNames[(typeof(InitFlags), m)] is not { } c || !_headerMacros.Contains(c)).ToList();
        Assert.That(newer, Is.Not.Empty, "this header (7.38) lacks some of our flags");
        Assert.Multiple(() =>
        {
            foreach (var member in newer)
                Assert.That(_enumNames[(typeof(InitFlags), member)], Is.AnyOf(Upstream.Select(u => (object?)u.Name).ToArray()), $"InitFlags.{member}");
        });
    }

    [Test]
    public void Constants_match_the_kernel_header()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_values["FUSE_KERNEL_VERSION"], Is.EqualTo((ulong)FuseConstants.KernelMajor), "KernelMajor");
            Assert.That(_values["FUSE_KERNEL_MINOR_VERSION"], Is.EqualTo((ulong)FuseConstants.KernelMinor), "we implement the header's minor");
            Assert.That(_values["FUSE_ROOT_ID"], Is.EqualTo(FuseConstants.RootId), "RootId");
            Assert.That(NodeId.Root.Value, Is.EqualTo(_values["FUSE_ROOT_ID"]), "NodeId.Root");
            Assert.That(_values["FUSE_MIN_READ_BUFFER"], Is.EqualTo((ulong)FuseConstants.MinReadBuffer), "MinReadBuffer");
            Assert.That(_offsets["fuse_dirent.name"].Offset, Is.EqualTo((long)FuseConstants.DirentNameOffset), "DirentNameOffset");
            Assert.That(_headerMacros, Does.Not.Contain("FUSE_INT_REQ_BIT"), "kernel-internal: only the copied line defines it");
            Assert.That(_values["FUSE_INT_REQ_BIT"], Is.EqualTo(FuseConstants.InterruptRequestBit), "InterruptRequestBit");
        });
    }

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex CommentRegex();

    [GeneratedRegex(@"^\s*#\s*define\s+([A-Z][A-Z0-9_]*)\s", RegexOptions.Multiline)]
    private static partial Regex MacroRegex();

    [GeneratedRegex(@"^\s*#define\s+(?<name>[A-Z][A-Z0-9_]*)\s+(?<value>.+)$", RegexOptions.Multiline)]
    private static partial Regex DefineRegex();

    [GeneratedRegex(@"^(?:struct\s+\w+|(?:unsigned\s+)?\w+)\s+(?<name>\w+)\s*(?<array>\[(?<len>\w*)\])?$")]
    private static partial Regex MemberRegex();
}
