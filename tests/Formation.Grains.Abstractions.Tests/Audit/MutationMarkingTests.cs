using System.Reflection;
using Formation.Audit;
using Formation.Vms;

namespace Formation.Grains.Abstractions.Tests.Audit;

/// <summary>
/// Every method of every grain interface in the contracts says whether it changes state ([Mutating], recorded in the audit
/// trail) or only reads ([NonMutating]). A new method with neither fails here, so the audit trail cannot miss it silently.
/// </summary>
public sealed class MutationMarkingTests
{
    /// <summary>Grain interfaces that need no marks, each with why. Empty today: every contract interface is covered.</summary>
    private static readonly Dictionary<Type, string> Exempt = [];

    private static IEnumerable<Type> GrainInterfaces() =>
        typeof(IVmGrain).Assembly.GetTypes()
            .Where(t => t.IsInterface && typeof(IAddressable).IsAssignableFrom(t) && t.Namespace?.StartsWith("Formation", StringComparison.Ordinal) == true)
            .Where(t => !Exempt.ContainsKey(t));

    [Fact]
    public void GrainInterfaces_EveryMethod_IsMarkedMutatingOrNonMutating()
    {
        var problems = new List<string>();
        foreach (var type in GrainInterfaces())
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                var mutating = method.GetCustomAttribute<MutatingAttribute>() is not null;
                var reading = method.GetCustomAttribute<NonMutatingAttribute>() is not null;
                if (mutating == reading)
                {
                    problems.Add($"{type.Name}.{method.Name}: " + (mutating ? "marked both [Mutating] and [NonMutating]" : "marked neither [Mutating] nor [NonMutating]"));
                }
            }
        }

        Assert.True(problems.Count == 0, "Mark each grain interface method (Formation.Audit):\n" + string.Join("\n", problems));
    }

    [Fact]
    public void GrainInterfaces_AreFound_TheTestIsNotVacuous()
    {
        var names = GrainInterfaces().Select(t => t.Name).ToHashSet();

        Assert.Contains(nameof(IVmGrain), names);
        Assert.Contains(nameof(IVmCatalogGrain), names);
        Assert.True(names.Count >= 15, $"only {names.Count} grain interfaces found");
    }

    [Theory]
    [InlineData(typeof(IVmGrain), nameof(IVmGrain.DeleteAsync), true)]
    [InlineData(typeof(IVmGrain), nameof(IVmGrain.StopAsync), true)]
    [InlineData(typeof(IVmCatalogGrain), nameof(IVmCatalogGrain.CreateVmAsync), true)]
    [InlineData(typeof(Services.IServiceGrain), nameof(Services.IServiceGrain.DeployAsync), true)]
    [InlineData(typeof(Formation.Edge.IRouteCatalogGrain), nameof(Formation.Edge.IRouteCatalogGrain.AddAsync), true)]
    [InlineData(typeof(Identity.IJoinTokenGrain), nameof(Identity.IJoinTokenGrain.CreateAsync), true)]
    [InlineData(typeof(IVmGrain), nameof(IVmGrain.GetAsync), false)]
    [InlineData(typeof(IVmCatalogGrain), nameof(IVmCatalogGrain.ListAsync), false)]
    public void UserCommands_AreMarkedAsTheyBehave(Type type, string method, bool mutating)
    {
        var info = type.GetMethods().First(m => m.Name == method);

        Assert.Equal(mutating, info.GetCustomAttribute<MutatingAttribute>() is { Quiet: false });
    }

    [Fact]
    public void Keystrokes_AreQuiet_NeverRecordedOneByOne()
    {
        var write = typeof(IVmConsoleGrain).GetMethod(nameof(IVmConsoleGrain.WriteAsync))!;

        Assert.True(write.GetCustomAttribute<MutatingAttribute>()!.Quiet);
    }
}
