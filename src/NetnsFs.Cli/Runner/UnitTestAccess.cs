using System.Runtime.CompilerServices;

// The seccomp filter is internal to the command (it carries libc structs); the unit tests run it
// through a small BPF interpreter.
[assembly: InternalsVisibleTo("NetnsFs.UnitTests")]
