using System.Diagnostics;

namespace Formation.Testing;

/// <summary>
/// Removes what a test node's silo leaves on the host's network when the test ends: its VM bridge, the bridge's guard
/// table and the overlay guard's table (a silo keeps them as long as the host runs, as a production node would).
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

        var identity = new Formation.Silo.Platform.NodeIdentity(nodeId);
        DeleteTable("bridge", new Formation.Silo.Network.BridgeGuard(identity).Table);
        DeleteTable("inet", new Formation.Silo.Network.OverlayGuard(identity).Table);
    }

    private static void DeleteTable(string family, string table)
    {
        using var nft = Process.Start(new ProcessStartInfo("nft", ["delete", "table", family, table]) { RedirectStandardError = true, UseShellExecute = false });
        nft?.WaitForExit();
    }
}
