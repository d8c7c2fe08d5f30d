namespace NetnsFs.Net.Readiness;

/// <summary>The end of one operation that answers by callback: it is delivered exactly once
/// (<see cref="Complete"/>, or <see cref="TryClaim"/> then <see cref="Deliver"/>) or cancelled
/// exactly once (<see cref="Dispose"/>), never both. What it owns (<see cref="Own"/>: a socket
/// being connected, a registration) and the step under way (<see cref="Attach"/>: the lookup,
/// then the connect) are cancelled and freed if it is cancelled first; a result that arrives
/// that is not delivered (it came after a cancel) is handed to <c>discard</c> (which closes the
/// socket nobody will take).
/// <para>Every callback (the answer, the discard, the step's cancel, the frees) runs after its
/// lock is let go: the answer takes the caller's locks (an open's, a handoff connection's), and a
/// cancel may be called under those very locks; run under ours, one would deadlock the other, and
/// the readiness thread with it.</para></summary>
public sealed class Completion<T> : IOperation
{
    private const int Running = 0, Claimed = 1, Delivered = 2, Cancelled = 3;

    private readonly Lock _lock = new();
    private readonly Action<T> _done;
    private readonly Action<T>? _discard;
    private IDisposable? _step;
    private List<IDisposable>? _owned;
    private volatile int _state;

    /// <param name="done">Called once with the result, unless cancelled first.</param>
    /// <param name="discard">Called with a result that came after the cancel (frees it).</param>
    public Completion(Action<T> done, Action<T>? discard = null)
    {
        _done = done;
        _discard = discard;
    }

    /// <summary>Claimed, delivered or cancelled: set before the answer runs.</summary>
    public bool IsOver => _state != Running;

    public bool IsCancelled => _state == Cancelled;

    /// <summary>Delivers <paramref name="result"/> unless this is over; true if it did. A result not
    /// delivered (cancelled first, or answered already) goes to <c>discard</c>.</summary>
    public bool Complete(T result)
    {
        if (TryClaim())
        {
            Deliver(result);
            return true;
        }
        _discard?.Invoke(result);
        return false;
    }

    /// <summary>Wins the right to deliver, for a result that costs something to take (an error
    /// read off a socket, a registration to drop first): true once, and from then on a cancel is
    /// a no-op and what it owned is the winner's. The winner must call <see cref="Deliver"/>.</summary>
    public bool TryClaim()
    {
        lock (_lock)
        {
            if (_state != Running)
                return false;
            _state = Claimed;
            _step = null;
            _owned = null;
        }
        return true;
    }

    /// <summary>Answers, after a successful <see cref="TryClaim"/>.</summary>
    public void Deliver(T result)
    {
        lock (_lock)
        {
            if (_state != Claimed)
                throw new InvalidOperationException("Deliver without TryClaim, or twice");
            _state = Delivered;
        }
        _done(result);
    }

    /// <summary>The step now under way, cancelled with this. A step that is over already is not
    /// kept: a step that answered at once (a name from the hosts file) has attached the next one
    /// (the connect) from its callback before its own start returned. If this is over, the step is
    /// cancelled at once: nobody waits for it any more.</summary>
    public void Attach(IDisposable step)
    {
        lock (_lock)
        {
            if (_state == Running)
            {
                if (step is not IOperation { IsOver: true })
                    _step = step;
                return;
            }
        }
        step.Dispose();
    }

    /// <summary>Frees <paramref name="resource"/> if this is cancelled before it is claimed (at once
    /// if it was cancelled already); once claimed or delivered, the resource is the winner's to
    /// keep or free. Returns false if it was freed here and now.</summary>
    public bool Own(IDisposable resource)
    {
        lock (_lock)
        {
            if (_state is Running)
            {
                (_owned ??= []).Add(resource);
                return true;
            }
            if (_state is not Cancelled)
                return true;
        }
        resource.Dispose();
        return false;
    }

    /// <summary>Cancels: true if this call did (it was neither claimed nor cancelled). The step is
    /// cancelled first, then what is owned is freed, newest first (a registration before its socket).</summary>
    public bool Cancel()
    {
        IDisposable? step;
        List<IDisposable>? owned;
        lock (_lock)
        {
            if (_state != Running)
                return false;
            _state = Cancelled;
            step = _step;
            owned = _owned;
            _step = null;
            _owned = null;
        }
        step?.Dispose();
        if (owned is not null)
        {
            for (int i = owned.Count - 1; i >= 0; i--)
                owned[i].Dispose();
        }
        return true;
    }

    /// <summary>Cancels (see <see cref="Cancel"/>): no answer after this returns, unless one was
    /// claimed already (then it comes, or came).</summary>
    public void Dispose() => Cancel();
}
