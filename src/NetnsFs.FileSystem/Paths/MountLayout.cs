namespace NetnsFs.FileSystem.Paths;

/// <summary>Owner and permission bits of the mount's nodes (from the mount options).</summary>
public sealed record MountLayout(uint Uid, uint Gid, uint RootPermissions, uint DirPermissions, uint FilePermissions);
