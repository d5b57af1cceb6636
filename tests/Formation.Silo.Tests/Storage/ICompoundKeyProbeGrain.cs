namespace Formation.Silo.Tests.Storage;

/// <summary>A grain keyed by an integer and a string, stored in the same table as string-keyed grains.</summary>
[Alias("Formation.Silo.Tests.Storage.ICompoundKeyProbeGrain")]
public interface ICompoundKeyProbeGrain : IGrainWithIntegerCompoundKey
{
    /// <summary>Answers the stored name.</summary>
    Task<string> GetAsync();

    /// <summary>Writes the name.</summary>
    Task SetAsync(string name);

    /// <summary>Deactivates the grain after this call.</summary>
    Task DeactivateAsync();
}
