using Formation.Errors;

namespace Formation.Silo.Tests.Audit;

public sealed class AuditProbeGrain : Grain, IAuditProbeGrain
{
    private int _changes;

    public Task<int> ChangeAsync(string name, string password) => Task.FromResult(++_changes);

    public Task FailAsync(string name) => throw FormationException.NotFound($"no VM named {name}");

    public Task FanOutAsync(string other) => GrainFactory.GetGrain<IAuditProbeGrain>(other).ChangeAsync("fanned", "pw");

    public Task TypeAsync(byte[] keys)
    {
        _changes++;
        return Task.CompletedTask;
    }

    public Task<int> CountAsync() => Task.FromResult(_changes);
}
