using System.Security.Cryptography;
using Formation.P2p.Identity;

namespace Formation.P2p.Records;

/// <summary>Where Formation puts node records in the DHT.</summary>
public static class NodeRecordKeys
{
    /// <summary>The DHT namespace of node records (its validator is <see cref="NodeRecordValidator"/>).</summary>
    public const string Namespace = "formation";

    /// <summary>The record key of one node: <c>/formation/&lt;cluster&gt;/&lt;PeerId&gt;</c>.</summary>
    public static byte[] RecordKey(string clusterId, PeerId peer) => System.Text.Encoding.UTF8.GetBytes($"/{Namespace}/{clusterId}/{peer}");

    /// <summary>
    /// The provider key of a cluster: the sha2-256 multihash of <c>/formation/cluster/&lt;cluster&gt;</c>. Every member
    /// provides it, so any peer of the DHT can list the members.
    /// </summary>
    public static byte[] ClusterKey(string clusterId) =>
        [0x12, 0x20, .. SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"/{Namespace}/cluster/{clusterId}"))];

    /// <summary>Splits a record key into cluster and peer; false if it is not one.</summary>
    public static bool TryParse(ReadOnlySpan<byte> key, out string clusterId, out PeerId peer)
    {
        clusterId = "";
        peer = null!;
        var parts = System.Text.Encoding.UTF8.GetString(key).Split('/');
        if (parts.Length != 4 || parts[0].Length != 0 || parts[1] != Namespace || parts[2].Length == 0)
        {
            return false;
        }

        clusterId = parts[2];
        return PeerId.TryParse(parts[3], out peer);
    }
}
