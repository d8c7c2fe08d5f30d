using System.Collections.Concurrent;
using NetnsFs.FileSystem.Files;
using NetnsFs.Fuse.Abi;

namespace NetnsFs.FileSystem.Mount;

/// <summary>What the mount's open handles are: handle to <see cref="OpenFile"/> (socket files and
/// text snapshots), with the socket files also indexed by their namespace
/// (<see cref="SocketsByNamespace{TNamespace}"/>). Handles are the mount's, never reused while it
/// lives; directory listings take theirs from the same counter.</summary>
public sealed class OpenFileTable
{
    private readonly ConcurrentDictionary<ulong, OpenFile> _byHandle = new();
    private readonly SocketsByNamespace<NamespaceView> _sockets = new();
    private long _lastHandle;

    /// <summary>Open socket files of every namespace.</summary>
    public int SocketCount => _sockets.Count;

    /// <summary>A handle no open file has had.</summary>
    public ulong NewHandle() => (ulong)Interlocked.Increment(ref _lastHandle);

    /// <summary>Gives <paramref name="file"/> a new handle and files it under it.</summary>
    public T Add<T>(T file) where T : OpenFile
    {
        file.Handle = new FileHandle(NewHandle());
        if (file is SocketFile { View: { } view } socket)
            _sockets.Add(view, file.Handle.Value, socket.OpenerProcess);
        _byHandle[file.Handle.Value] = file;
        return file;
    }

    public OpenFile? Find(ulong handle) => _byHandle.GetValueOrDefault(handle);

    /// <summary>The socket file of <paramref name="handle"/> (conn/N), or null if it is closed.</summary>
    public SocketFile? FindSocket(ulong handle) => _byHandle.GetValueOrDefault(handle) as SocketFile;

    /// <summary>Takes <paramref name="handle"/>'s file out (RELEASE, an open the kernel never saw);
    /// the caller closes it.</summary>
    public OpenFile? Remove(ulong handle)
    {
        if (!_byHandle.TryRemove(handle, out var file))
            return null;
        if (file is SocketFile { View: { } view })
            _sockets.Remove(view, handle);
        return file;
    }

    public int SocketCountOf(NamespaceView view) => _sockets.CountOf(view);

    /// <summary>Handles of <paramref name="view"/>'s open sockets, oldest first (conn/).</summary>
    public IReadOnlyList<ulong> SocketsOf(NamespaceView view) => _sockets.HandlesOf(view);

    /// <summary>The newest socket of <paramref name="view"/> that a thread of
    /// <paramref name="process"/> opened (conn/self); 0 if none.</summary>
    public ulong NewestSocketOf(NamespaceView view, uint process) => _sockets.NewestOf(view, process);

    /// <summary>Unmount: every file closed.</summary>
    public void CloseAll()
    {
        foreach (var handle in _byHandle.Keys)
            Remove(handle)?.Close();
    }
}
