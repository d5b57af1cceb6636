using Formation.Networking;
using Formation.Silo.Platform;

namespace Formation.Silo.Network;

/// <summary>
/// Added network interfaces (<c>form vm nic add</c>): each is a TAP of its own (<see cref="NicTapName"/>) on the bridge,
/// in the node's link group before it joins (fail closed, as the first), with its own MAC and its own address from the
/// node's pool (leased as <c>vm-id/nic-id</c>), admitted by the bridge guard as one more port: one MAC, one address per
/// TAP. Giving a second interface the VM's first address would need two ports for one address in the guard and in the
/// overlay's routes; a second address keeps every rule as it is.
/// </summary>
public sealed partial class HostNetwork
{
    /// <summary>The TAP of added interface <paramref name="nicId"/>: the VM's TAP name + <c>n</c> + its index (at most 15 characters).</summary>
    public static string NicTapName(string vmId, string nicId) => TapName(vmId) + "n" + nicId[Formation.Vms.VmDevices.NicPrefix.Length..];

    /// <summary>The address-pool lease of an added interface.</summary>
    public static string NicLease(string vmId, string nicId) => vmId + "/" + nicId;

    /// <summary>Gives the added interface its TAP, MAC and address, and admits it on the bridge for <paramref name="account"/> (idempotent).</summary>
    public async Task<VmNetwork> AttachNicAsync(string vmId, string nicId, string account, CancellationToken cancellationToken)
    {
        var subnet = await EnsureBridgeAsync(cancellationToken);
        var lease = NicLease(vmId, nicId);
        var address = await grains.GetGrain<IAddressPoolGrain>(node.NodeId).AllocateAsync(lease, subnet.ToString());
        var tap = NicTapName(vmId, nicId);
        var batch = $"tuntap add dev {tap} mode tap\nlink set dev {tap} group {guard.LinkGroup}\nlink set dev {tap} master {BridgeName} up\n";
        var result = await ProcessRunner.RunAsync("ip", ["-force", "-batch", "-"], null, 10, TimeSpan.FromSeconds(30), cancellationToken,
            writeStdin: (stdin, ct) => stdin.WriteAsync(System.Text.Encoding.ASCII.GetBytes(batch), ct).AsTask());
        if (result.ExitCode != 0 && !await TapIsOnBridgeAsync(tap, cancellationToken))
        {
            throw new InvalidOperationException($"could not attach TAP {tap} to {BridgeName}: {string.Join(" | ", result.OutputTail)}");
        }

        var network = new VmNetwork(tap, MacFor(lease), address, subnet.Gateway.ToString(), subnet.Netmask.ToString(), subnet.PrefixLength);
        await guard.AdmitAsync(network, account, cancellationToken);
        return network;
    }

    /// <summary>Removes the added interface's TAP, its bridge entry and its address (idempotent).</summary>
    public async Task DetachNicAsync(string vmId, string nicId, CancellationToken cancellationToken)
    {
        var tap = NicTapName(vmId, nicId);
        await guard.RemoveAsync(tap, cancellationToken);
        if (await LinkExistsAsync(tap, cancellationToken))
        {
            await IpAsync(cancellationToken, "link", "del", tap);
        }

        await grains.GetGrain<IAddressPoolGrain>(node.NodeId).ReleaseAsync(NicLease(vmId, nicId));
    }
}
