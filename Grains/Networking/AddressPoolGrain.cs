using Formation.Errors;
using Formation.Grains.Common;
using Formation.Networking;

namespace Formation.Grains.Networking;

/// <summary>
/// One node's VM addresses, a row per lease. Non-reentrant: allocations are serial, so no address is given twice.
/// Hands addresses out round robin so a freed address is the last to come back.
/// </summary>
public sealed class AddressPoolGrain(IStateRowStore rows) : Grain, IAddressPoolGrain
{
    private PersistentRowMap<AddressLease> _leases = null!;
    private int _cursor;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _leases = new PersistentRowMap<AddressLease>(rows, "addresses", this.GetPrimaryKeyString(), DeactivateOnIdle);
        await _leases.LoadAsync(cancellationToken);
        _cursor = _leases.Count == 0 ? 0 : _leases.Items.Values.Max(l => l.Index) + 1;
    }

    public async Task<string> AllocateAsync(string vmId, string subnet)
    {
        var net = Ipv4Subnet.TryParse(subnet, out var s) ? s : throw FormationException.Invalid($"'{subnet}' is not a subnet.");
        if (_leases.TryGetValue(vmId, out var lease) && net.Contains(System.Net.IPAddress.Parse(lease.Address)))
        {
            return lease.Address;
        }

        var used = _leases.Items.Where(kv => kv.Key != vmId).Select(kv => kv.Value.Index).ToHashSet();
        for (var step = 0; step < net.HostCount; step++)
        {
            var index = (_cursor + step) % net.HostCount;
            if (!used.Contains(index))
            {
                var address = net.VmAddress(index).ToString();
                _leases.Set(vmId, new AddressLease(address, index));
                await _leases.FlushAsync();
                _cursor = index + 1;
                return address;
            }
        }

        throw new FormationException(ErrorKind.NoCapacity,
            $"Node {this.GetPrimaryKeyString()} has no free address left in {subnet} ({net.HostCount} VMs hold one each).");
    }

    public async Task ReleaseAsync(string vmId)
    {
        if (_leases.Remove(vmId, out _))
        {
            await _leases.FlushAsync();
        }
    }

    public Task<IReadOnlyDictionary<string, string>> ListAsync() =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(_leases.Items.ToDictionary(kv => kv.Key, kv => kv.Value.Address));
}
