using NetnsFs.FileSystem.Paths;
using NetnsFs.Interop;

namespace NetnsFs.FileSystem.Service;

/// <summary>What <paramref name="path"/> (relative to <paramref name="view"/>'s directory) means,
/// as an open of it would find: its recipe, or the errno that open would get. How a front end that
/// names sockets by path (the handoff, a seccomp supervisor) learns what to ask the
/// <see cref="SocketService"/> for, without knowing the filesystem that answers.</summary>
public delegate Errno RecipeResolver(NamespaceView view, string path, out SocketRecipe? recipe);
