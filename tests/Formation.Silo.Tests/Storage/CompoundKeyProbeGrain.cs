namespace Formation.Silo.Tests.Storage;

public sealed class CompoundKeyProbeGrain(
    [PersistentState("name", StorageTestCluster.StorageName)] IPersistentState<NameState> state) : Grain, ICompoundKeyProbeGrain
{
    public Task<string> GetAsync() => Task.FromResult(state.State.Name);

    public Task SetAsync(string name)
    {
        state.State = new NameState(name);
        return state.WriteStateAsync();
    }

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}
