using System.Globalization;
using System.Text;

namespace NetnsFs.Fuse.Mounting;

/// <summary>The kernel-side options of a FUSE mount (what mount(2) or fusermount3 is given).</summary>
public sealed record FuseMountOptions
{
    /// <summary>The "device" column of /proc/mounts.</summary>
    public string Source { get; init; } = "fuse";

    /// <summary>The fs type becomes fuse.SUBTYPE.</summary>
    public string? Subtype { get; init; }

    public bool AllowOther { get; init; }
    public bool DefaultPermissions { get; init; }

    /// <summary>Mode bits of the root inode as the kernel checks them before our first GETATTR.</summary>
    public uint RootMode { get; init; } = 0x41ED; // S_IFDIR | 0755

    public uint UserId { get; init; }
    public uint GroupId { get; init; }

    public bool NoSuid { get; init; } = true;
    public bool NoDev { get; init; } = true;
    public bool NoExec { get; init; }

    /// <summary>The data string of mount(2) for /dev/fuse fd <paramref name="fd"/>.</summary>
    public string KernelData(int fd)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"fd={fd},rootmode={Convert.ToString(RootMode, 8)},user_id={UserId},group_id={GroupId}");
        if (AllowOther)
            sb.Append(",allow_other");
        if (DefaultPermissions)
            sb.Append(",default_permissions");
        return sb.ToString();
    }

    /// <summary>The -o string for fusermount3, which adds fd, rootmode and ids itself.</summary>
    public string FusermountOptions()
    {
        var parts = new List<string> { "fsname=" + Source };
        if (Subtype is not null)
            parts.Add("subtype=" + Subtype);
        if (AllowOther)
            parts.Add("allow_other");
        if (DefaultPermissions)
            parts.Add("default_permissions");
        parts.Add(NoSuid ? "nosuid" : "suid");
        parts.Add(NoDev ? "nodev" : "dev");
        if (NoExec)
            parts.Add("noexec");
        return string.Join(',', parts);
    }
}
