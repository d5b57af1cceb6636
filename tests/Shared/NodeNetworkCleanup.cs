using System.Diagnostics;

namespace Formation.Testing;

/// <summary>
/// Removes what a test node's silo leaves on the host's network when the test ends: its VM bridge and the bridge's
/// guard table (a silo keeps both as long as the host runs, as a production node would).
/// </summary>
public static class NodeNetworkCleanup
{
    public static void Remove(string nodeId)
    {
        var bridge = Formation.Silo.Network.HostNetwork.BridgeNameFor(nodeId);
        if (Formation.Silo.Network.HostNetwork.LinkExistsAsync(bridge, CancellationToken.None).GetAwaiter().GetResult())
        {
            Process.Start("ip", ["link", "del", bridge])?.WaitForExit();
        }

        var guard = new Formation.Silo.Network.BridgeGuard(new Formation.Silo.Platform.NodeIdentity(nodeId)).Table;
        using var nft = Process.Start(new ProcessStartInfo("nft", ["delete", "table", "bridge", guard]) { RedirectStandardError = true, UseShellExecute = false });
        nft?.WaitForExit();
    }
}
