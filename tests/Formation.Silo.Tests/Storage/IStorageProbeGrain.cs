namespace Formation.Silo.Tests.Storage;

/// <summary>A grain whose whole job is to persist <see cref="ProbeState"/> through the storage under test.</summary>
[Alias("Formation.Silo.Tests.Storage.IStorageProbeGrain")]
public interface IStorageProbeGrain : IGrainWithStringKey
{
    /// <summary>Answers the state as the grain holds it.</summary>
    Task<ProbeState> GetAsync();

    /// <summary>Answers whether storage had a record when the state was last read or written.</summary>
    Task<bool> RecordExistsAsync();

    /// <summary>Replaces the state and writes it.</summary>
    Task SetAsync(ProbeState state);

    /// <summary>Clears the stored state.</summary>
    Task ClearAsync();

    /// <summary>Deactivates the grain after this call, so the next call reads storage again.</summary>
    Task DeactivateAsync();
}
