namespace Formation.Silo.Tests.Storage;

public sealed class DeletingProbeGrain(
    [PersistentState("deleting", StorageTestCluster.DeletingStorageName)] IPersistentState<NameState> state) : Grain, IDeletingProbeGrain
{
    public Task SetAsync(string name)
    {
        state.State = new NameState(name);
        return state.WriteStateAsync();
    }

    public Task ClearAsync() => state.ClearStateAsync();

    public Task<(string Name, bool RecordExists)> GetAsync() => Task.FromResult((state.State.Name, state.RecordExists));
}
