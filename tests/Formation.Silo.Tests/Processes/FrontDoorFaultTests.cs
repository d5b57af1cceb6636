using System.Collections.Concurrent;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Silo.Tests.Infrastructure;
using Formation.Vms;

namespace Formation.Silo.Tests.Processes;

/// <summary>
/// The real form CLI (separate processes, local API and Orleans paths) streaming creates and deletes from several
/// clients into a 3-silo PostgreSQL cluster while one silo is SIGKILLed: every command answers or says why in words,
/// every VM exists exactly once, and the scheduler's reservations match the catalog node by node.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FrontDoorFaultTests(PostgresServer postgres) : IDisposable
{
    private const int Workers = 4;
    private const int CommandsPerWorker = 8;
    private static readonly string[] TransportWords = ["Exception", "Orleans.", "   at ", "InnerException"];
    private readonly TestDirectory _data = new();

    [Fact]
    [Trait("Category", "Slow")] // about 1-2 minutes: three cluster silos, a kill, and the membership protocol noticing it
    public async Task SiloKilledDuringCreatesAndDeletes_EveryCommandAnswersOrSaysWhy_AndEachVmExistsOnce()
    {
        postgres.RequireAvailable();
        var database = await postgres.CreateDatabaseAsync("frontdoor_faults");
        var capacity = new Dictionary<string, string> { ["Formation__Capacity__VCpus"] = "400", ["Formation__Capacity__MemoryMiB"] = "100000" };
        var silos = new List<SiloProcess>();
        try
        {
            foreach (var node in new[] { "fd-victim", "fd-b", "fd-c" })
            {
                silos.Add(await ClusterJoin.StartAsync(
                    new SiloProcessOptions(node, Path.Combine(_data.Path, node)) { Mode = "cluster", Postgres = database, Environment = capacity },
                    silos.FirstOrDefault()));
            }

            var admin = ClusterJoin.AdminCredential(silos[0]);
            await using (var client = await ClusterClient.ViaPostgresAsync(database, admin))
            {
                await Eventually.HoldsAsync(client.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync,
                    l => l.Count(n => n.Health == NodeHealth.Healthy) == 3, TimeSpan.FromSeconds(90), "three nodes healthy");
            }

            var runs = new ConcurrentQueue<(string Command, string Name, FormProcess.Result Result, bool AfterKill)>();
            var answered = 0;
            var killed = 0;
            var kill = Task.Run(async () =>
            {
                await Eventually.HoldsAsync(() => Task.FromResult(Volatile.Read(ref answered)), n => n >= Workers * 2, TimeSpan.FromMinutes(5), "first commands answered");
                await silos[0].KillAsync();
                Volatile.Write(ref killed, 1);
            });
            await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
            {
                // Workers 0 and 3 reach the victim first; worker 3 uses a full Orleans client instead of the local API.
                var gateways = string.Join(',', Enumerable.Range(0, 3).Select(i => silos[(w + i) % 3].Gateway));
                var environment = new Dictionary<string, string> { ["FORM_LOCAL_API"] = w == 3 ? "0" : "1", ["FORMATION_CREDENTIAL"] = admin };
                for (var i = 0; i < CommandsPerWorker; i++)
                {
                    var (command, name) = i % 2 == 1 ? ("delete", $"fdk-w{w}-{i - 1}") : ("create", $"fdk-w{w}-{i}");
                    string[] args = command == "create"
                        ? ["vm", "create", "--name", name, "--vcpus", "1", "--memory", "64", "--disk", "0", "--gateway", gateways]
                        : ["vm", "delete", name, "--gateway", gateways];
                    var afterKill = Volatile.Read(ref killed) == 1;
                    var result = await FormProcess.RunAsync(args, environment);
                    runs.Enqueue((command, name, result, afterKill));
                    Interlocked.Increment(ref answered);
                }
            })));
            await kill;

            Assert.Contains(runs, r => r.AfterKill);
            foreach (var (command, name, result, _) in runs)
            {
                Assert.True(result.ExitCode == 0 || (result.ExitCode is 1 or 2 && result.Error.StartsWith("form: ", StringComparison.Ordinal)),
                    $"{command} {name}: {result}");
                Assert.DoesNotContain(TransportWords, word => result.Error.Contains(word, StringComparison.Ordinal));
            }

            var created = runs.Where(r => r.Command == "create" && r.Result.ExitCode == 0).Select(r => r.Name).ToHashSet();
            var deleted = runs.Where(r => r.Command == "delete" && r.Result.ExitCode == 0).Select(r => r.Name).ToHashSet();
            Assert.NotEmpty(created);
            await using var check = await ClusterClient.ViaGatewayAsync(silos[1].Options.GatewayPort, admin);
            var catalog = check.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
            var scheduler = check.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
            var vms = await Eventually.HoldsAsync(catalog.ListAsync, l => l.All(v => !deleted.Contains(v.Name)), TimeSpan.FromSeconds(60), "deleted VMs gone");
            foreach (var name in created.Except(deleted))
            {
                Assert.Single(vms, v => v.Name == name);
            }

            await Eventually.HoldsAsync(async () => (await scheduler.ListNodesAsync(), await catalog.ListAsync()),
                s => s.Item1.All(n => n.VmCount == s.Item2.Count(v => v.NodeId == n.NodeId)),
                TimeSpan.FromSeconds(60), "reservations equal VMs on every node");
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }

    public void Dispose() => _data.Dispose();
}
