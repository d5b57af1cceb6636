namespace Formation.Silo.Tests.Storage;

/// <summary>A Guid-keyed grain, stored in the same table.</summary>
[Alias("Formation.Silo.Tests.Storage.IGuidKeyProbeGrain")]
public interface IGuidKeyProbeGrain : IGrainWithGuidKey
{
    /// <summary>Answers the stored name.</summary>
    Task<string> GetAsync();

    /// <summary>Writes the name.</summary>
    Task SetAsync(string name);

    /// <summary>Deactivates the grain after this call.</summary>
    Task DeactivateAsync();
}
