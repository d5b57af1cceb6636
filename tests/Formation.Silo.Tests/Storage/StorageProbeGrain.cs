namespace Formation.Silo.Tests.Storage;

public sealed class StorageProbeGrain(
    [PersistentState("probe", StorageTestCluster.StorageName)] IPersistentState<ProbeState> state) : Grain, IStorageProbeGrain
{
    public Task<ProbeState> GetAsync() => Task.FromResult(state.State);

    public Task<bool> RecordExistsAsync() => Task.FromResult(state.RecordExists);

    public Task SetAsync(ProbeState value)
    {
        state.State = value;
        return state.WriteStateAsync();
    }

    public Task ClearAsync() => state.ClearStateAsync();

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}
