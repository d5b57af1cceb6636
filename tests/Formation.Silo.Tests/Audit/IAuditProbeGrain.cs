using Formation.Audit;

namespace Formation.Silo.Tests.Audit;

/// <summary>A grain with every kind of method the audit filter tells apart.</summary>
public interface IAuditProbeGrain : IGrainWithStringKey
{
    [Mutating]
    Task<int> ChangeAsync(string name, string password);

    [Mutating]
    Task FailAsync(string name);

    /// <summary>Changes another probe: one user request that fans out to a second mutating grain call.</summary>
    [Mutating]
    Task FanOutAsync(string other);

    [Mutating(Quiet = true)]
    Task TypeAsync(byte[] keys);

    [NonMutating]
    Task<int> CountAsync();
}
