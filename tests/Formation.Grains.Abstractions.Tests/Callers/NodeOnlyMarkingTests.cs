using System.Reflection;
using System.Text.RegularExpressions;
using Formation.Identity;
using Formation.Testing;
using Formation.Vms;

namespace Formation.Grains.Abstractions.Tests.Callers;

/// <summary>
/// Pins which grain methods only the cluster's nodes may call ([NodeOnly], refused to clients by the silo's identity
/// filter), and checks that none of them is called by a user-facing client (form, form's fast path, the dashboard, or
/// the contracts' client-side helpers), which would break that client for everyone.
/// </summary>
public sealed class NodeOnlyMarkingTests
{
    /// <summary>The node-only set. Changing it is a security decision: update this list on purpose, with the reason in the commit.</summary>
    private static readonly string[] Expected =
    [
        "IAccountRegistryGrain.RecordNodeKeyAsync",
        "IAccountRegistryGrain.ViewAsync",
        "IAddressPoolGrain.*",
        "ICertificateSignerGrain.*",
        "IEdgeViewsGrain.AllReadSinceAsync", // what the nodes' edges route by: reported and read by nodes only
        "IEdgeViewsGrain.RefreshedAsync",
        "IImageCatalogGrain.FindByDigestAsync",
        "IImageCatalogGrain.RemoveAsync",
        "IImageCatalogGrain.UpdateAsync",
        "INetworkGrain.*",
        "INodeGrain.*",
        "INodeSnapshotsGrain.DescribeAsync", // snapshots travelling between nodes (fetch, migration)
        "INodeSnapshotsGrain.FetchAsync",
        "INodeSnapshotsGrain.ReadChunkAsync",
        "IRouteCatalogGrain.CertificatesAsync",
        "ISchedulerGrain.BeginMoveAsync", // migration's holds, asked for by the catalog
        "ISchedulerGrain.EndMoveAsync",
        "ISchedulerGrain.HeartbeatAsync",
        "ISchedulerGrain.NodeLeavingAsync",
        "ISchedulerGrain.PlaceAsync",
        "ISchedulerGrain.RegisterNodeAsync",
        "ISchedulerGrain.ReleaseAsync",
        "IServiceCatalogGrain.RemoveAsync",
        "IServiceCatalogGrain.UpdateAsync",
        "IServiceCatalogGrain.WakeAllAsync",
        "IServiceGrain.ReportHealthAsync",
        "IServiceGrain.WakeAsync",
        "IVmCatalogGrain.FindUnknownAsync",
        "IVmCatalogGrain.ListServiceAsync",
        "IVmCatalogGrain.MarkNodeLostAsync",
        "IVmCatalogGrain.UpdateAsync",
        "IVmGrain.AbandonMoveInAsync", // migration's steps, driven by the catalog
        "IVmGrain.AbortMoveOutAsync",
        "IVmGrain.CreateAsync",
        "IVmGrain.MoveInAsync",
        "IVmGrain.MoveOutAsync",
        "IVmGrain.MovedOutAsync",
        "IVmGrain.ReceiveMoveAsync", // live migration's two ends: the target's inbox, the source's send
        "IVmGrain.ReportAsync",
        "IVmGrain.SendMoveAsync",
    ];

    private static IEnumerable<Type> GrainInterfaces() =>
        typeof(IVmGrain).Assembly.GetTypes()
            .Where(t => t.IsInterface && typeof(IAddressable).IsAssignableFrom(t) && t.Namespace?.StartsWith("Formation", StringComparison.Ordinal) == true);

    private static IEnumerable<MethodInfo> Methods(Type type) => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);

    private static bool IsNodeOnly(MethodInfo method) =>
        method.IsDefined(typeof(NodeOnlyAttribute), false) || method.DeclaringType!.IsDefined(typeof(NodeOnlyAttribute), false);

    [Fact]
    public void NodeOnlySet_IsExactlyThePinnedOne()
    {
        var actual = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in GrainInterfaces())
        {
            if (type.IsDefined(typeof(NodeOnlyAttribute), false))
            {
                actual.Add($"{type.Name}.*");
                continue;
            }

            foreach (var method in Methods(type).Where(IsNodeOnly))
            {
                actual.Add($"{type.Name}.{method.Name}");
            }
        }

        Assert.Equal(Expected.Order(StringComparer.Ordinal), actual);
    }

    [Fact]
    public void NodeOnlyMethods_AreNotCalledByUserFacingClients()
    {
        var sources = ClientSources().ToDictionary(f => Path.GetRelativePath(RepositoryPaths.Root, f), File.ReadAllText);
        Assert.True(sources.Count > 50, $"only {sources.Count} client source files found under {RepositoryPaths.Root}");

        var all = GrainInterfaces().SelectMany(Methods).ToList();
        var userFacingNames = all.Where(m => !IsNodeOnly(m)).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var type in GrainInterfaces().Where(t => t.IsDefined(typeof(NodeOnlyAttribute), false)))
        {
            var use = new Regex($@"\b{type.Name}\b");
            problems.AddRange(sources.Where(s => use.IsMatch(s.Value)).Select(s => $"{s.Key} uses node-only {type.Name}"));
        }

        // A name that a user-facing method shares (IVmGrain.CreateAsync and IAccountRegistryGrain.CreateAsync) cannot be
        // told apart by text; those few are held by the pinned list above and by the cluster tests of the commands.
        foreach (var method in all.Where(IsNodeOnly).Where(m => !m.DeclaringType!.IsDefined(typeof(NodeOnlyAttribute), false)))
        {
            if (userFacingNames.Contains(method.Name))
            {
                continue;
            }

            var call = new Regex($@"\.{method.Name}\(");
            problems.AddRange(sources.Where(s => call.IsMatch(s.Value)).Select(s => $"{s.Key} calls node-only {method.DeclaringType!.Name}.{method.Name}"));
        }

        Assert.True(problems.Count == 0, "A user-facing client calls a [NodeOnly] method; the silo refuses it to clients:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void TheScan_FindsAKnownClientCall_ItIsNotVacuous()
    {
        var sources = ClientSources().Select(File.ReadAllText).ToList();

        Assert.Contains(sources, s => s.Contains(".PlaceBuildAsync(", StringComparison.Ordinal));
        Assert.Contains(sources, s => s.Contains(".ResolveAsync(", StringComparison.Ordinal));
    }

    /// <summary>form, its fast path, the dashboard, and the contracts' helpers those clients call through (not the interfaces themselves).</summary>
    private static IEnumerable<string> ClientSources()
    {
        var root = RepositoryPaths.Root;
        string[] dirs = ["Cli", "Cli.Fast", "Dashboard"];
        var clients = dirs.Select(d => Path.Combine(root, d)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.*", SearchOption.AllDirectories))
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".razor", StringComparison.Ordinal));
        var helpers = Directory.EnumerateFiles(Path.Combine(root, "Grains", "Abstractions"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !Regex.IsMatch(Path.GetFileName(f), @"^I[A-Z]\w*Grain\.cs$"));
        return clients.Concat(helpers)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
    }
}
