namespace NetnsFs.Net.Readiness;

/// <summary>poll(2)/epoll(7) event bits (the same numbers in both, and in FUSE_POLL).</summary>
[Flags]
public enum IoEvents : uint
{
    None = 0,
    In = 0x001,
    Pri = 0x002,
    Out = 0x004,
    Err = 0x008,
    Hup = 0x010,
    Nval = 0x020,
    RdNorm = 0x040,
    WrNorm = 0x100,
    RdHup = 0x2000,
    EdgeTriggered = 1u << 31,

    /// <summary>EPOLLONESHOT: the registration goes quiet after one event until re-armed.</summary>
    OneShot = 1u << 30,

    /// <summary>Everything that wakes a reader: data, EOF, error.</summary>
    Readable = In | Hup | Err | RdHup,

    /// <summary>Everything that wakes a writer: space, error, hang-up.</summary>
    Writable = Out | Hup | Err,
}
