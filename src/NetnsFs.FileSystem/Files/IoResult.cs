using NetnsFs.Interop;

namespace NetnsFs.FileSystem.Files;

/// <summary>What a socket file's read or write has left to answer once the socket's lock is let go.</summary>
internal enum IoOutcome : byte
{
    /// <summary>A byte count (<see cref="IoResult.Bytes"/>): the data read, or the bytes the socket took.</summary>
    Count,

    /// <summary>An errno (<see cref="IoResult.Errno"/>).</summary>
    Error,

    /// <summary>Nothing yet: the request waits in a queue, and is answered when the socket moves
    /// or the caller is interrupted.</summary>
    Waiting,

    /// <summary>Nothing: the request was answered already (a write answered before its send).</summary>
    Answered,
}

/// <summary>The result of a socket file's read or write: a byte count, an errno, or nothing to
/// answer (<see cref="IoOutcome"/>), each in its own field rather than packed into one int.</summary>
internal readonly record struct IoResult
{
    private IoResult(IoOutcome outcome, int bytes, Errno errno)
    {
        Outcome = outcome;
        Bytes = bytes;
        Errno = errno;
    }

    public IoOutcome Outcome { get; }

    /// <summary>The count of a <see cref="IoOutcome.Count"/> result (0 otherwise; 0 bytes read is EOF).</summary>
    public int Bytes { get; }

    /// <summary>The errno of an <see cref="IoOutcome.Error"/> result (0 otherwise).</summary>
    public Errno Errno { get; }

    /// <summary>Whether the caller answers the request (with the count or the errno).</summary>
    public bool IsToAnswer => Outcome is IoOutcome.Count or IoOutcome.Error;

    public static IoResult Waiting => new(IoOutcome.Waiting, 0, 0);

    public static IoResult Answered => new(IoOutcome.Answered, 0, 0);

    public static IoResult Count(int bytes) =>
        bytes >= 0 ? new(IoOutcome.Count, bytes, 0) : throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "a negative count");

    public static IoResult Error(Errno errno) =>
        errno != 0 ? new(IoOutcome.Error, 0, errno) : throw new ArgumentOutOfRangeException(nameof(errno), "errno 0 is no error");

    /// <summary>A socket call's return as <see cref="Net.Sockets.NetSocket"/> gives it: bytes, or a
    /// negative errno.</summary>
    public static IoResult OfCall(int bytesOrMinusErrno) =>
        bytesOrMinusErrno >= 0 ? Count(bytesOrMinusErrno) : Error((Errno)(-bytesOrMinusErrno));

    public override string ToString() => Outcome switch
    {
        IoOutcome.Count => $"{Bytes} bytes",
        IoOutcome.Error => Errno.ToString(),
        _ => Outcome.ToString(),
    };
}
