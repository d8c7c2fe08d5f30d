using System.Collections.Concurrent;
using NetnsFs.FileSystem.Limits;
using NetnsFs.FileSystem.Nodes;
using NetnsFs.FileSystem.Paths;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Session;

namespace NetnsFs.FileSystem;

/// <summary>Directory listings kept per OPENDIR handle: `ls` of a directory of thousands of
/// listeners reads it in many READDIR chunks, and rebuilding the whole listing for each chunk made
/// every `ls` quadratic (and each of them held a reader that long). A listing is built at the first
/// READDIR (offset 0: again after a rewinddir) and dropped at RELEASEDIR; open listings count among
/// the caller's snapshots (<see cref="Resource.Snapshots"/>).</summary>
public sealed partial class NetnsFileSystem
{
    private sealed class OpenListing(Charge charge)
    {
        public Charge Charge { get; } = charge;

        public List<(string Name, ulong Ino, uint Mode)>? Entries { get; set; }
    }

    private readonly ConcurrentDictionary<ulong, OpenListing> _listings = new();

    /// <summary>A handle for the listing of a directory (EMFILE past the caller's open snapshots).</summary>
    private void OpenListingOf(FuseRequest req)
    {
        if (TakeOrRefuse(req, Resource.Snapshots) is not { } charge)
            return;
        ulong handle = _files.NewHandle();
        _listings[handle] = new OpenListing(charge);
        if (!req.ReplyOpen(new FileHandle(handle), OpenReplyFlags.None) && _listings.TryRemove(handle, out var gone))
            gone.Charge.Dispose(); // interrupted: the kernel will not release it
    }

    /// <summary>The entries of <paramref name="dir"/> for a READDIR at <paramref name="offset"/>:
    /// the handle's listing, built now if this is its start.</summary>
    private List<(string Name, ulong Ino, uint Mode)> ListingFor(FuseRequest req, DirectoryNode dir, FileHandle fh, long offset)
    {
        if (!_listings.TryGetValue(fh.Value, out var open))
            return BuildListing(req, dir); // no handle of ours (cannot happen with this kernel): built each time
        if (open.Entries is null || offset == 0)
            open.Entries = BuildListing(req, dir);
        return open.Entries;
    }

    private List<(string Name, ulong Ino, uint Mode)> BuildListing(FuseRequest req, DirectoryNode dir)
    {
        // Listeners, connections and namespaces may be thousands: another reader takes the device
        // while this one builds.
        if (dir.Role is DirectoryRole.Listen or DirectoryRole.UnixListen or DirectoryRole.ListenAddress or DirectoryRole.Connections or DirectoryRole.MultiRoot)
            req.WillTakeLong();
        return Listing(dir);
    }

    public override void ReleaseDir(FuseRequest req, NodeId node, FileHandle fh)
    {
        if (_listings.TryRemove(fh.Value, out var open))
            open.Charge.Dispose();
        req.ReplyEmpty();
    }
}
