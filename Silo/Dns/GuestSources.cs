using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using Formation.Networking;

namespace Formation.Silo.Dns;

/// <summary>
/// Which source addresses are guests (and peers of the overlay), whose names outside the zone the server forwards:
/// the cluster's overlay range, plus any node subnet outside it (an operator's <c>Network:Subnet</c>); and who each of
/// them is (<see cref="Asker"/>): the account of the VM that holds the address, or a node. The fabric feeder keeps
/// both up to date from the same events as the records. A guest is known by its source address only: that a guest
/// cannot send from another's address is the VM network's job.
/// </summary>
public sealed class GuestSources
{
    private readonly bool _nobody;
    private volatile Ipv4Subnet[] _subnets = [NetworkPlan.Overlay];
    private volatile FrozenDictionary<IPAddress, string> _owners = FrozenDictionary<IPAddress, string>.Empty;
    private volatile FrozenSet<IPAddress> _nodes = FrozenSet<IPAddress>.Empty;
    private volatile FrozenSet<IPAddress> _local = FrozenSet<IPAddress>.Empty;

    public GuestSources()
    {
    }

    private GuestSources(bool nobody)
    {
        _nobody = nobody;
        _subnets = [];
    }

    /// <summary>Sources of which none is a guest, whatever its address: the public listener's (it never forwards).</summary>
    public static GuestSources Nobody() => new(nobody: true);

    /// <summary>Replaces the subnets besides the overlay (called as nodes' subnets become known).</summary>
    public void SetSubnets(IEnumerable<Ipv4Subnet> subnets)
    {
        if (!_nobody)
        {
            _subnets = [NetworkPlan.Overlay, .. subnets.Distinct()];
        }
    }

    public IReadOnlyList<Ipv4Subnet> Subnets => _subnets;

    /// <summary>Replaces which account holds each VM address (the admin account's guests see every account's names).</summary>
    public void SetOwners(IReadOnlyDictionary<IPAddress, string> owners) => _owners = owners.ToFrozenDictionary();

    /// <summary>Replaces the nodes' addresses in the guest ranges (overlay addresses, VM subnets' gateways): they see every name.</summary>
    public void SetNodes(IEnumerable<IPAddress> addresses) => _nodes = addresses.ToFrozenSet();

    /// <summary>Replaces this host's own serving addresses (the host asking its bridge address asks from it).</summary>
    public void SetLocal(IEnumerable<IPAddress> addresses) => _local = addresses.ToFrozenSet();

    public bool IsGuest(IPAddress address) => IsGuestAddress(Unmapped(address));

    /// <summary>
    /// Who asks from <paramref name="address"/>: outside the guest ranges, <see cref="DnsAsker.Outside"/>; a VM's address,
    /// a guest of its account; a node's or this host's own address, <see cref="DnsAsker.Fabric"/>; any other address in the
    /// guest ranges, <see cref="DnsAsker.Stranger"/> (no account's names: an address no VM holds proves nothing).
    /// </summary>
    public DnsAsker Asker(IPAddress address)
    {
        address = Unmapped(address);
        if (!IsGuestAddress(address))
        {
            return DnsAsker.Outside;
        }

        if (_owners.TryGetValue(address, out var account))
        {
            return DnsAsker.GuestOf(account);
        }

        return _nodes.Contains(address) || _local.Contains(address) ? DnsAsker.Fabric : DnsAsker.Stranger;
    }

    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private bool IsGuestAddress(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        foreach (var subnet in _subnets)
        {
            if (subnet.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
