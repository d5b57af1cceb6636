using System.Net;
using System.Net.Sockets;
using Formation.Networking;

namespace Formation.Silo.Dns;

/// <summary>
/// Which source addresses are guests (and peers of the overlay), whose names outside the zone the server forwards:
/// the cluster's overlay range, plus any node subnet outside it (an operator's <c>Network:Subnet</c>).
/// </summary>
public sealed class GuestSources
{
    private readonly bool _nobody;
    private volatile Ipv4Subnet[] _subnets = [NetworkPlan.Overlay];

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

    public bool IsGuest(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

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
