using System.Runtime.CompilerServices;

// The unit tests make real requests over a session whose device is a pipe (no /dev/fuse, no root):
// they need the request's constructor and header, which only the session uses.
[assembly: InternalsVisibleTo("NetnsFs.UnitTests")]
