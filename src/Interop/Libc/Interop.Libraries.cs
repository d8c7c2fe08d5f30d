namespace NetnsFs.Interop;

/// <summary>The libc calls, constants and structs of netnsfs, one declaration each, one file per
/// function or closely related group (Interop.NAME.cs), in the shape of dotnet/runtime's
/// Common/src/Interop: each project links the files it uses (its .csproj says which) and calls them
/// with <c>using static NetnsFs.Interop.Libc;</c>. Internal in every assembly: nothing here is API.
/// Struct layouts are Linux x86-64's (glibc); where arm64's differs the file says so, and the
/// daemon refuses to start where they do not hold (LibcLayouts.cs).</summary>
internal static unsafe partial class Libc
{
    /// <summary>glibc, found by the runtime as libc.so.6.</summary>
    internal const string Library = "libc";
}
