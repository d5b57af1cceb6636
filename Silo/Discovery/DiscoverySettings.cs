using System.Net;
using Formation.P2p.Addressing;
using Formation.P2p.Identity;

namespace Formation.Silo.Discovery;

/// <summary>Discovery after validation: the identity is loaded, every address parsed.</summary>
/// <param name="Listen">Where the libp2p host listens.</param>
/// <param name="Advertised">What the node tells others (its record, node list), each with <c>/p2p</c>.</param>
/// <param name="ClusterId">Records of other clusters are ignored.</param>
public sealed record DiscoverySettings(
    string ClusterId,
    Ed25519KeyPair Identity,
    string IdentityPath,
    Multiaddr Listen,
    IReadOnlyList<Multiaddr> Advertised,
    IReadOnlyList<Multiaddr> Join,
    bool Mdns,
    TimeSpan RecordRefresh)
{
    /// <summary>
    /// Validates <paramref name="options"/>, loads or creates the identity (0600) in <paramref name="dataDirectory"/>.
    /// Returns null when discovery is off or a problem was added to <paramref name="problems"/>.
    /// </summary>
    public static DiscoverySettings? Resolve(DiscoveryOptions options, string dataDirectory, IPAddress advertise, string clusterId, ICollection<string> problems)
    {
        if (!options.Enabled)
        {
            return null;
        }

        var before = problems.Count;
        if (options.Port is < 1 or > 65535)
        {
            problems.Add($"libp2p port {options.Port} is out of range 1–65535 (--p2p-port).");
        }

        if (options.RecordRefresh < TimeSpan.FromSeconds(1) || options.RecordRefresh > TimeSpan.FromHours(12))
        {
            problems.Add($"Discovery:RecordRefresh {options.RecordRefresh} must be between 1 s and 12 h.");
        }

        var join = new List<Multiaddr>();
        foreach (var text in (options.Join ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Multiaddr.TryParse(text, out var address, out var error))
            {
                problems.Add($"--join '{text}' is not a multiaddr ({error}); use /ip4/<address>/tcp/<port>/p2p/<PeerId>.");
            }
            else if (address.PeerId is null || address.ToTcpEndPoint() is null)
            {
                problems.Add($"--join '{text}' must name a TCP address and end in /p2p/<PeerId>, e.g. /ip4/192.0.2.10/tcp/4001/p2p/12D3KooW….");
            }
            else
            {
                join.Add(address);
            }
        }

        var path = Path.Combine(dataDirectory, options.IdentityFile);
        Ed25519KeyPair? identity = null;
        try
        {
            identity = IdentityFile.LoadOrCreate(path);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            problems.Add($"libp2p identity: {ex.Message}");
        }

        if (problems.Count > before || identity is null)
        {
            return null;
        }

        // On a loopback address the host listens there only; otherwise on every address of the host.
        var listenIp = IPAddress.IsLoopback(advertise) ? advertise : advertise.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        var listen = Multiaddr.FromTcpEndPoint(new IPEndPoint(listenIp, options.Port));
        var advertised = Multiaddr.FromTcpEndPoint(new IPEndPoint(advertise, options.Port)).WithPeerId(identity.PeerId);
        return new DiscoverySettings(clusterId, identity, path, listen, [advertised], join, options.Mdns, options.RecordRefresh);
    }
}
