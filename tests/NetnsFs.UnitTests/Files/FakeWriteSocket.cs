using NetnsFs.FileSystem.Files;
using NetnsFs.Interop;

namespace NetnsFs.UnitTests.Files;

/// <summary>A socket for a <see cref="WriteQueue"/> that takes as much as the test lets it: it
/// records what it took, whether its close would reset the connection, and each shutdown.</summary>
internal sealed class FakeWriteSocket : IWriteSocket
{
    private readonly MemoryStream _taken = new();

    /// <summary>Bytes it takes before it is full (then EAGAIN).</summary>
    public int Room { get; set; } = int.MaxValue;

    /// <summary>When set, every send fails with it.</summary>
    public Errno FailWith { get; set; }

    public bool KeepsMessageBoundaries { get; init; }

    /// <summary>What <see cref="HasFailed"/> says (POLLERR or POLLHUP).</summary>
    public bool Failed { get; set; }

    /// <summary>SO_LINGER 0 is set: a close now would reset the connection.</summary>
    public bool ResetsOnClose { get; private set; }

    public List<int> Shutdowns { get; } = [];

    public int Sends { get; private set; }

    public byte[] Taken => _taken.ToArray();

    public int Send(ReadOnlySpan<byte> data)
    {
        Sends++;
        if (FailWith != 0)
            return -(int)FailWith;
        if (Room == 0)
            return -(int)Errno.EAGAIN;
        int n = Math.Min(Room, data.Length);
        Room -= n;
        _taken.Write(data[..n]);
        return n;
    }

    public bool HasFailed() => Failed;

    public void ResetOnClose() => ResetsOnClose = true;

    public Errno CloseNormally()
    {
        ResetsOnClose = false;
        return 0;
    }

    public Errno Shutdown(int how)
    {
        Shutdowns.Add(how);
        return 0;
    }
}

/// <summary>The socket file as the ledger and the linger limit see it: records what was asked.</summary>
internal sealed class FakeHolder : IHoldsAnsweredWrites
{
    public WriteQueue? Queue { get; set; }

    public int Closes { get; private set; }

    public List<string> EndedBecause { get; } = [];

    /// <summary>Set when the linger limit (or anything) ends the lingering.</summary>
    public ManualResetEventSlim Ended { get; } = new();

    /// <summary>What <see cref="EndLinger"/> answers when no queue is attached.</summary>
    public bool ResetWhenEnded { get; init; }

    public void Close() => Closes++;

    public bool EndLinger(string why)
    {
        bool reset;
        lock (EndedBecause)
        {
            EndedBecause.Add(why);
            reset = Queue is { IsLingering: true } q ? q.EndLinger(why) : ResetWhenEnded;
            if (Queue is { IsLingering: true })
                Queue.Release();
        }
        Ended.Set();
        return reset;
    }
}
