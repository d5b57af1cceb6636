namespace Formation.Silo.Tests.Storage;

/// <summary>A grain on the storage that deletes its row on clear (DeleteStateOnClear).</summary>
[Alias("Formation.Silo.Tests.Storage.IDeletingProbeGrain")]
public interface IDeletingProbeGrain : IGrainWithStringKey
{
    /// <summary>Writes the name.</summary>
    Task SetAsync(string name);

    /// <summary>Clears (deletes) the stored state.</summary>
    Task ClearAsync();

    /// <summary>Answers the name and whether storage has a record.</summary>
    Task<(string Name, bool RecordExists)> GetAsync();
}
