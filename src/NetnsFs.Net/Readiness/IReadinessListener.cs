namespace NetnsFs.Net.Readiness;

/// <summary>Told by the readiness engine, on its thread, when a registered fd's state changes.
/// Must not block: try the waiting operations, answer them, return.</summary>
public interface IReadinessListener
{
    void OnReadiness(IoEvents events);
}
