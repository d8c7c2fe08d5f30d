using NetnsFs.Net.Readiness;

namespace NetnsFs.FileSystem.Files;

/// <summary>What the kernel's last scheduled poll of a socket file waits for (POLL with
/// FUSE_POLL_SCHEDULE_NOTIFY), until it is notified: one notification per scheduled poll, as the
/// kernel polls again (and schedules again) if its waiter still waits. Not thread-safe: used under
/// the socket's lock.</summary>
internal sealed class PollWaiter
{
    private ulong _kh;

    /// <summary>The events the waiter waits for; none when no poll is scheduled.</summary>
    public IoEvents Wants { get; private set; }

    /// <summary>A poll asked to be notified under <paramref name="kh"/> when one of
    /// <paramref name="events"/> comes (none named: any change). It replaces the one before.</summary>
    public void Schedule(ulong kh, IoEvents events)
    {
        _kh = kh;
        Wants = events & (IoEvents.In | IoEvents.Pri | IoEvents.Out);
        if (Wants == IoEvents.None)
            Wants = IoEvents.In | IoEvents.Out;
    }

    /// <summary>The socket reported <paramref name="events"/>: the poll handle to notify if they
    /// end the wait (an error or hang-up always does), which ends it; 0 if there is none to notify.</summary>
    public ulong TakeWoken(IoEvents events)
    {
        if (Wants == IoEvents.None || (events & (Wants | IoEvents.Err | IoEvents.Hup | IoEvents.RdHup)) == 0)
            return 0;
        Wants = IoEvents.None;
        return _kh;
    }

    /// <summary>No poll waits any more (the file is closed).</summary>
    public void Clear() => Wants = IoEvents.None;
}
