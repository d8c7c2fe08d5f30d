using System.Runtime.CompilerServices;

// The socket file's parts (write queue, read queue, poll waiter, result type) are internal to the
// filesystem; the unit tests drive them directly, with a fake socket, as no user can.
[assembly: InternalsVisibleTo("NetnsFs.UnitTests")]
