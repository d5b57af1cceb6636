using Formation.Errors;
using Formation.Grains.Common;
using Formation.Networking;

namespace Formation.Grains.Networking;

/// <summary>Assigns each node a /24 from 10.77.0.0/16 (or the operator's choice), a row per node; the devices' /24 is never given.</summary>
public sealed class NetworkGrain(IStateRowStore rows) : Grain, INetworkGrain
{
    public static readonly Ipv4Subnet Pool = NetworkPlan.Overlay;
    public const int NodePrefix = NetworkPlan.NodePrefix;

    private PersistentRowMap<SubnetAssignment> _subnets = null!;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _subnets = new PersistentRowMap<SubnetAssignment>(rows, "network-subnets", this.GetPrimaryKeyString(), DeactivateOnIdle);
        return _subnets.LoadAsync(cancellationToken);
    }

    public async Task<string> AssignSubnetAsync(string nodeId, string? preferred, IReadOnlyList<string> inUseOnHost)
    {
        var taken = _subnets.Items.Where(kv => kv.Key != nodeId).Select(kv => Ipv4Subnet.Parse(kv.Value.Subnet)).ToList();
        if (preferred is not null)
        {
            var wanted = Ipv4Subnet.TryParse(preferred, out var p) ? p
                : throw FormationException.Invalid($"Subnet '{preferred}' is not an IPv4 subnet like 10.77.5.0/24.");
            if (wanted.Overlaps(NetworkPlan.Devices))
            {
                throw FormationException.Conflict($"Subnet {wanted} overlaps {NetworkPlan.Devices}, the user devices' range; choose another.");
            }

            var clash = _subnets.Items.FirstOrDefault(kv => kv.Key != nodeId && Ipv4Subnet.Parse(kv.Value.Subnet).Overlaps(wanted));
            if (clash.Key is not null)
            {
                throw FormationException.Conflict($"Subnet {wanted} overlaps {clash.Value.Subnet} of node {clash.Key}; choose another.");
            }

            return await SaveAsync(nodeId, wanted);
        }

        if (_subnets.TryGetValue(nodeId, out var existing))
        {
            return existing.Subnet;
        }

        var local = inUseOnHost.Select(s => Ipv4Subnet.TryParse(s, out var r) ? r : (Ipv4Subnet?)null).OfType<Ipv4Subnet>().ToList();
        var size = 1u << (32 - NodePrefix);
        for (uint network = Pool.Network; network < Pool.Network + Pool.Size; network += size)
        {
            var candidate = new Ipv4Subnet(network, NodePrefix);
            if (!taken.Any(t => t.Overlaps(candidate)) && !local.Any(l => l.Overlaps(candidate)) && !candidate.Overlaps(NetworkPlan.Devices))
            {
                return await SaveAsync(nodeId, candidate);
            }
        }

        throw new FormationException(ErrorKind.NoCapacity, $"No free /{NodePrefix} is left in {Pool} for node {nodeId}.");
    }

    public Task<IReadOnlyDictionary<string, string>> ListSubnetsAsync() =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(_subnets.Items.ToDictionary(kv => kv.Key, kv => kv.Value.Subnet));

    private async Task<string> SaveAsync(string nodeId, Ipv4Subnet subnet)
    {
        _subnets.Set(nodeId, new SubnetAssignment(subnet.ToString()));
        await _subnets.FlushAsync();
        return subnet.ToString();
    }
}
