using System.Net;
using Formation.Formfiles;
using Formation.Ownership;
using Formation.Services;

namespace Formation.Silo.Dns;

/// <summary>The zone's names of a service, as a pure function of the service and its image's exposed ports.</summary>
public static class ServiceRecords
{
    /// <summary>
    /// <c>&lt;service&gt;</c> → the addresses of its serving replicas (Running, not draining); and for each exposed port an
    /// SRV name pointing at every serving replica's own name: <c>_&lt;port&gt;._tcp|_udp.&lt;service&gt;</c>, plus
    /// <c>_http._tcp.&lt;service&gt;</c> for 80, 8080 and 8000 and <c>_https._tcp.&lt;service&gt;</c> for 443. A service
    /// with no serving replica has no names (NXDOMAIN, not an empty answer that looks healthy). Names are the owning
    /// account's (<see cref="ZoneNames.Owned"/>): a member's service <c>bob/api</c> is <c>api.bob</c>, its SRV names
    /// <c>_http._tcp.api.bob</c>, pointing at its replicas' names <c>api-1.bob</c>.
    /// </summary>
    public static Dictionary<string, IReadOnlyList<ZoneRecord>> Of(ServiceInfo service, IReadOnlyList<ExposedPort> ports)
    {
        var records = new Dictionary<string, IReadOnlyList<ZoneRecord>>(StringComparer.Ordinal);
        var owned = OwnedName.FromStored(service.Name);
        var serving = service.ReplicaList
            .Where(r => r.Serving && IPAddress.TryParse(r.Address, out _))
            .Select(r => (Replica: r, Name: ZoneNames.Owned(owned.Account, r.Name)))
            .Where(r => r.Name is not null)
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
        if (serving.Count == 0 || ZoneNames.Owned(owned.Account, owned.Name) is not { } own)
        {
            return records;
        }

        records[own] = DnsTable.Addresses(serving.Select(r => IPAddress.Parse(r.Replica.Address!)));
        foreach (var port in ports)
        {
            var protocol = port.Protocol == PortProtocol.Tcp ? "_tcp" : "_udp";
            IReadOnlyList<ZoneRecord> targets = [.. serving.Select(r => new ServiceRecord(0, 1, (ushort)port.Port, r.Name!))];
            records[$"_{port.Port}.{protocol}.{own}"] = targets;
            if (WellKnown(port) is { } name)
            {
                records[$"_{name}.{protocol}.{own}"] = targets;
            }
        }

        return records;
    }

    private static string? WellKnown(ExposedPort port) => (port.Port, port.Protocol) switch
    {
        (80 or 8080 or 8000, PortProtocol.Tcp) => "http",
        (443, PortProtocol.Tcp) => "https",
        _ => null,
    };
}
