using System.Net;
using System.Net.Sockets;
using Formation.Edge;
using Formation.Networking;
using Formation.Nodes;
using Formation.Services;

namespace Formation.Silo.Dns;

/// <summary>
/// The public zone's names (split horizon), as a pure function of the routes, the services and the nodes: a service the
/// edge proxy serves (some route sends requests to it, and at least one replica serves) is named
/// <c>&lt;service&gt;</c> (a member's <c>&lt;service&gt;.&lt;account&gt;</c>) → the underlay addresses of the healthy nodes
/// (every node's edge proxy takes every route).
/// Nothing else has a name there: no VM, no node name, no SRV record, and never an address of the fabric's inside
/// (the overlay range, a node's VM subnet or overlay address, any replica's address), even from a node that
/// advertises one.
/// </summary>
public static class PublicRecords
{
    public static Dictionary<string, IReadOnlyList<ZoneRecord>> Of(
        IEnumerable<EdgeRoute> routes, IEnumerable<ServiceInfo> services, IReadOnlyCollection<NodeStatus> nodes)
    {
        var records = new Dictionary<string, IReadOnlyList<ZoneRecord>>(StringComparer.Ordinal);
        var serviceList = services.ToList();
        var inside = Inside(serviceList, nodes);
        var edges = nodes
            .Where(n => n.Health == NodeHealth.Healthy)
            .Select(n => FabricRecords.UnderlayAddress(n.Info))
            .OfType<IPAddress>()
            .Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a)
            .Where(a => !IsInside(a, inside.Subnets, inside.Addresses) && !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any))
            .ToList();
        if (edges.Count == 0)
        {
            return records;
        }

        var routed = routes.Select(r => r.Service).ToHashSet(StringComparer.Ordinal);
        var answer = DnsTable.Addresses(edges);
        foreach (var service in serviceList)
        {
            var owned = Formation.Ownership.OwnedName.FromStored(service.Name);
            if (routed.Contains(service.Name) && ZoneNames.Owned(owned.Account, owned.Name) is { } name && service.ReplicaList.Any(r => r.Serving))
            {
                records[name] = answer; // a member's service: <service>.<account>.<public zone>
            }
        }

        return records;
    }

    /// <summary>The fabric's private side: the overlay, every node's VM subnet and overlay address, every replica's address.</summary>
    private static (List<Ipv4Subnet> Subnets, HashSet<IPAddress> Addresses) Inside(IEnumerable<ServiceInfo> services, IEnumerable<NodeStatus> nodes)
    {
        var subnets = new List<Ipv4Subnet> { NetworkPlan.Overlay };
        var addresses = new HashSet<IPAddress>();
        foreach (var node in nodes)
        {
            if (node.Info.Mesh is { } mesh)
            {
                if (Ipv4Subnet.TryParse(mesh.Subnet, out var subnet))
                {
                    subnets.Add(subnet);
                }

                if (IPAddress.TryParse(mesh.OverlayAddress, out var overlay))
                {
                    addresses.Add(overlay);
                }
            }
        }

        foreach (var replica in services.SelectMany(s => s.ReplicaList))
        {
            if (IPAddress.TryParse(replica.Address, out var address))
            {
                addresses.Add(address);
            }
        }

        return (subnets, addresses);
    }

    private static bool IsInside(IPAddress address, List<Ipv4Subnet> subnets, HashSet<IPAddress> addresses) =>
        addresses.Contains(address) || (address.AddressFamily == AddressFamily.InterNetwork && subnets.Any(s => s.Contains(address)));
}
