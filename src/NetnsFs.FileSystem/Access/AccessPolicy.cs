using NetnsFs.FileSystem.Paths;

namespace NetnsFs.FileSystem.Access;

/// <summary>Who may use the mount's sockets, by the same rule the kernel applies to the files: root
/// and the mount's owner always; others only with allow_other, and then by the mode bits of the
/// mount's socket files (group bits for members of its group, other bits for the rest). Used for
/// callers the kernel does not check for us: the handoff socket (by SO_PEERCRED).</summary>
public sealed class AccessPolicy(MountLayout layout, bool allowOther)
{
    private const uint ReadWriteOther = 0x6;   // rw for others
    private const uint ReadWriteGroup = 0x30;  // rw for the group

    public bool MayUse(uint uid, uint gid, int pid)
    {
        if (uid == 0 || uid == layout.Uid)
            return true;
        if (!allowOther)
            return false;
        uint mode = layout.FilePermissions;
        if (InGroup(gid, pid))
            return (mode & ReadWriteGroup) == ReadWriteGroup;
        return (mode & ReadWriteOther) == ReadWriteOther;
    }

    private bool InGroup(uint gid, int pid)
    {
        if (gid == layout.Gid)
            return true;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("Groups:", StringComparison.Ordinal))
                    continue;
                foreach (var g in line[7..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
                {
                    if (uint.TryParse(g, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint v) && v == layout.Gid)
                        return true;
                }
            }
        }
        catch (IOException)
        {
        }
        return false;
    }
}
