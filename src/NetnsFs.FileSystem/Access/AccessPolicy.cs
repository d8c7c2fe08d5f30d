using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;

namespace NetnsFs.FileSystem.Access;

/// <summary>Who may use the mount's sockets over the handoff: exactly whom the kernel lets open the
/// mount's socket files, so that the two ways in are one rule (the handoff socket is checked by
/// SO_PEERCRED, which the kernel does not check for us).
/// <list type="bullet">
/// <item>Without allow_other, FUSE admits only the mounting user (fuse_allow_current_process: the
/// uid and gid the mount was made with, i.e. the daemon's real uid and gid; root for a root
/// daemon). The <c>uid=</c>/<c>gid=</c> owner of the mount root is not the mounter and is refused,
/// by FUSE and here alike.</item>
/// <item>With allow_other, the mode bits of the mount's socket files decide, as generic_permission
/// does with default_permissions: the owner's bits for the <c>uid=</c> owner, else the group's bits
/// for a member of <c>gid=</c> (primary or supplementary), else the others' bits; read and write
/// both needed (a socket is opened O_RDWR). Root is admitted, as CAP_DAC_OVERRIDE admits it.</item>
/// </list></summary>
public sealed class AccessPolicy(MountLayout layout, bool allowOther, uint mounterUid, uint mounterGid)
{
    private const uint ReadWriteOwner = ModeBits.OwnerReadWrite;      // rw-------
    private const uint ReadWriteGroup = ModeBits.OwnerReadWrite >> 3; // ---rw----
    private const uint ReadWriteOther = ModeBits.OwnerReadWrite >> 6; // ------rw-

    public bool MayUse(uint uid, uint gid, int pid)
    {
        if (!allowOther)
            return uid == mounterUid && gid == mounterGid;
        if (uid == 0)
            return true;
        uint mode = layout.FilePermissions;
        if (uid == layout.Uid)
            return (mode & ReadWriteOwner) == ReadWriteOwner;
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
