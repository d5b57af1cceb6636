using Formation.Edge;
using Formation.Images;
using Formation.Nodes;
using Formation.Ownership;
using Formation.Scheduling;
using Formation.Services;
using Formation.Snapshots;
using Formation.Vms;

namespace Formation.Identity;

/// <summary>
/// What an account owns: services, VMs, HTTP and TCP routes, snapshots, images. An account that still owns any of them is not
/// deleted (they would belong to nobody, billed to no quota and reachable by no member); <c>form account delete
/// --delete-resources</c> deletes them first, through the same grains the user-facing commands use. Read as an admin
/// (anyone else sees only their own). Snapshots on a node whose silo is down are not seen: they stay on its disk.
/// </summary>
public sealed record AccountHoldings(
    IReadOnlyList<ServiceSummary> Services,
    IReadOnlyList<VmSummary> Vms,
    IReadOnlyList<EdgeRoute> Routes,
    IReadOnlyList<EdgeTcpRoute> TcpRoutes,
    IReadOnlyList<SnapshotInfo> Snapshots,
    IReadOnlyList<ImageStatus> Images)
{
    /// <summary>True when the account owns nothing.</summary>
    public bool IsEmpty => Services.Count + Vms.Count + Routes.Count + TcpRoutes.Count + Snapshots.Count + Images.Count == 0;

    /// <summary>Counts per kind, e.g. "2 VMs, 1 service, 1 route".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        void Add(int count, string one, string many)
        {
            if (count > 0)
            {
                parts.Add($"{count} {(count == 1 ? one : many)}");
            }
        }

        Add(Services.Count, "service", "services");
        Add(Vms.Count, "VM", "VMs");
        Add(Routes.Count, "HTTP route", "HTTP routes");
        Add(TcpRoutes.Count, "TCP route", "TCP routes");
        Add(Snapshots.Count, "snapshot", "snapshots");
        Add(Images.Count, "image", "images");
        return parts.Count == 0 ? "nothing" : string.Join(", ", parts);
    }

    /// <summary>Everything <paramref name="account"/> owns, as far as the current caller can see (admins: all).</summary>
    public static async Task<AccountHoldings> ListAsync(IGrainFactory grains, string account)
    {
        bool Owns(string storedKey) => OwnedName.FromStored(storedKey).Account == account;
        var services = grains.GetGrain<IServiceCatalogGrain>(GrainKeys.Cluster).ListAsync();
        var vms = grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();
        var routes = grains.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster).ListAsync();
        var tcpRoutes = grains.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster).ListTcpAsync();
        var images = grains.GetGrain<IImageCatalogGrain>(GrainKeys.Cluster).ListAsync();
        var snapshots = await SnapshotReads.ListAllAsync(grains);
        return new AccountHoldings(
            [.. (await services).Where(s => Owns(s.Name))],
            [.. (await vms).Where(v => v.Account == account)],
            [.. (await routes).Where(r => Owns(r.Service))],
            [.. (await tcpRoutes).Where(r => Owns(r.Service))],
            [.. snapshots.Where(s => s.Account == account)],
            [.. (await images).Where(i => i.Owner() == account)]);
    }
}
