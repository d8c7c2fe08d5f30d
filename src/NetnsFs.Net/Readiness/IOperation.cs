namespace NetnsFs.Net.Readiness;

/// <summary>Something under way that answers by callback (a name lookup, a connect, a making):
/// <see cref="IDisposable.Dispose"/> cancels it, after which it calls nobody back.</summary>
public interface IOperation : IDisposable
{
    /// <summary>Delivered or cancelled: it will call nobody back any more, and cancelling it is a
    /// no-op. True before its callback runs, so an operation made of steps can tell a step that
    /// already answered (and attached the next one) from one still under way.</summary>
    bool IsOver { get; }
}
