using System.Collections.Concurrent;
using System.Text;
using NetnsFs.FileSystem.Mount;
using NetnsFs.Net.Namespaces;

namespace NetnsFs.FileSystem;

/// <summary>A multi mount's namespaces from pins (-o watch=PINDIR, <see cref="PinWatcher"/>): shown
/// under the pin's own name, whatever characters it has, owned by root, and removed with the pin
/// (rmdir answers EBUSY: the pin decides). A watching mount makes no namespace of its own
/// (mkdir and ln -s are EPERM): a name taken first, even an instant before its pin is mounted,
/// would hide the pin and put another's namespace where agents expect the pod's.</summary>
public sealed partial class NetnsFileSystem : IPinTarget
{
    private readonly ConcurrentDictionary<string, bool> _pinned = new(StringComparer.Ordinal);
    private PinWatcher? _pins;

    IReadOnlyCollection<string> IPinTarget.PinnedNames => (IReadOnlyCollection<string>)_pinned.Keys;

    /// <summary>Starts watching the settings' pin directory, for a multi mount that has one.</summary>
    private void WatchPins()
    {
        if (_settings.PinDirectoryFd >= 0)
            _pins = new PinWatcher(_settings.PinDirectoryFd, _settings.PinDirectory ?? "pins", _engine, this, _log);
    }

    bool IPinTarget.AddPinned(string name, NetNamespace ns)
    {
        if (name == "status" || _namespaces.Contains(name) || !_pinned.TryAdd(name, true))
            return false;
        AddNamedView(_nodes.Root, name, ns, 0);
        return true;
    }

    void IPinTarget.RemovePinned(string name)
    {
        if (!_pinned.TryRemove(name, out _) || _namespaces.Remove(name, 0, 0, out var view) != 0)
            return;
        _nodes.Detach(view!.Root);
        foreach (var entry in view.Entries)
            _nodes.Detach(entry);
        // The kernel may have the name cached: told off the readiness thread, since the
        // notification waits for the directory's lock, which a lookup being answered may hold.
        var root = _nodes.Root.Id;
        byte[] bytes = Encoding.UTF8.GetBytes(name);
        ThreadPool.UnsafeQueueUserWorkItem(_ => _session?.NotifyInvalEntry(root, bytes), null);
    }

    private bool WatchesPins => _settings.PinDirectoryFd >= 0;

    private bool IsPinned(ReadOnlySpan<byte> name) => _pinned.ContainsKey(Encoding.UTF8.GetString(name));
}
