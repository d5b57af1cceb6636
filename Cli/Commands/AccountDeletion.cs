using Formation.Edge;
using Formation.Errors;
using Formation.Identity;
using Formation.Images;
using Formation.Services;
using Formation.Snapshots;
using Formation.Vms;

namespace Formation.Cli.Commands;

/// <summary>
/// <c>form account delete NAME --delete-resources</c>: deletes what the account owns through the grains the user-facing
/// commands use — services first (they take their replicas with them), then the VMs left, routes, snapshots, images
/// (once no VM of the account uses them) — and
/// reports each deletion that failed. The account itself is deleted by the caller only when nothing failed; the
/// registry checks again and refuses while anything is left.
/// </summary>
internal static class AccountDeletion
{
    /// <summary>How long deleted VMs may take to leave the catalog before the deletion counts as failed.</summary>
    private static readonly TimeSpan VmPatience = TimeSpan.FromMinutes(2);

    /// <summary>Deletes everything <paramref name="account"/> owns; returns one line per deletion that failed (empty: all gone).</summary>
    public static async Task<IReadOnlyList<string>> DeleteResourcesAsync(IClusterClient client, string account, TextWriter progress, CancellationToken ct)
    {
        var failures = new List<string>();
        async Task TryAsync(string what, Func<Task> delete)
        {
            try
            {
                await delete();
                progress.WriteLine($"Deleted {what}.");
            }
            catch (FormationException ex)
            {
                failures.Add($"{what}: {ex.Message}");
            }
        }

        var holdings = await AccountHoldings.ListAsync(client, account);
        foreach (var service in holdings.Services)
        {
            await TryAsync($"service {service.Name}", async () =>
            {
                var grain = await client.ServiceAsync(service.Name);
                await ServiceWait.UntilSettledAsync(grain, await grain.DeleteAsync(), progress, ct, TimeSpan.FromMinutes(5));
            });
        }

        // The services' replicas went with them; what is left are the account's own VMs.
        holdings = await AccountHoldings.ListAsync(client, account);
        var deleting = new List<string>();
        foreach (var vm in holdings.Vms)
        {
            await TryAsync($"VM {vm.Name} ({vm.Id})", async () =>
            {
                await client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).DeleteAsync();
                deleting.Add(vm.Id);
            });
        }

        await UntilGoneAsync(client, account, deleting, ct);
        var routes = client.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster);
        foreach (var route in holdings.Routes)
        {
            await TryAsync($"route {route.Host}", () => routes.DeleteAsync(route.Host));
        }

        foreach (var route in holdings.TcpRoutes)
        {
            await TryAsync($"TCP route :{route.ListenPort}", () => routes.DeleteTcpAsync(route.ListenPort));
        }

        foreach (var snapshot in holdings.Snapshots)
        {
            await TryAsync($"snapshot {snapshot.Name} of VM {snapshot.VmName}",
                () => client.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore(snapshot.NodeId)).DeleteAsync(snapshot.Id));
        }

        foreach (var image in holdings.Images)
        {
            await TryAsync($"image {image.RecordKey()}", () => client.GetGrain<IImageGrain>(ImageNames.InAccount(account, image.Reference)).DeleteAsync());
        }

        return failures;
    }

    /// <summary>Waits (bounded) until the deleted VMs have left the catalog; one still there afterwards is reported by the registry.</summary>
    private static async Task UntilGoneAsync(IClusterClient client, string account, IReadOnlyList<string> vmIds, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + VmPatience;
        while (vmIds.Count > 0 && DateTime.UtcNow < deadline)
        {
            var left = (await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync()).Where(v => v.Account == account).Select(v => v.Id);
            if (!left.Intersect(vmIds).Any())
            {
                return;
            }

            await Task.Delay(250, ct);
        }
    }
}
