using Formation.Silo.Network;
using Formation.Vms;

namespace Formation.Silo.Vms;

/// <summary>
/// What a clone's guest is told once its snapshot is loaded: it still has the source VM's MAC (the restored virtio-net
/// state carries the guest-visible one), address, route and hostname, and takes the clone's through its agent with
/// busybox <c>ip</c> and <c>hostname</c> (both base images have them).
/// </summary>
public static class GuestIdentity
{
    /// <summary>The command the agent runs: a shell script that stops at the first failure (its stderr then says which).</summary>
    public static ExecRequest Request(string hostName, VmNetwork? network) =>
        new(["/bin/sh", "-c", Script(hostName, network)], Environment: ["PATH=/sbin:/usr/sbin:/bin:/usr/bin"]);

    /// <summary>
    /// The script. The link goes down for the MAC change (virtio-net takes a new address only then), which drops the
    /// address and routes with it: they are put back after. Every value is the host's own (a DNS label, the MAC and
    /// address it made), quoted all the same.
    /// </summary>
    public static string Script(string hostName, VmNetwork? network)
    {
        if (!Names.IsDnsLabel(hostName))
        {
            throw new ArgumentException($"'{hostName}' is not a DNS label.", nameof(hostName));
        }

        var lines = new List<string> { "set -e" };
        if (network is { } net)
        {
            lines.AddRange([
                "ip link set dev eth0 down",
                $"ip link set dev eth0 address {Quote(net.Mac)}",
                "ip addr flush dev eth0",
                $"ip addr add {Quote($"{net.Address}/{net.PrefixLength}")} dev eth0",
                "ip link set dev eth0 up",
                $"ip route replace default via {Quote(net.Gateway)} dev eth0",
            ]);
        }

        lines.Add($"hostname {Quote(hostName)}");
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>
    /// After a restore the guest's neighbour table is the saved one: on another node (a migration) its gateway's and
    /// its old neighbours' MACs are the old node's bridge and guests, where no frame of it arrives any more, until the
    /// entries go stale (about 30-60 s). Flushed, the guest asks again at once and this node answers (proxy ARP).
    /// </summary>
    public static ExecRequest ForgetNeighbours() =>
        new(["/bin/sh", "-c", "ip neigh flush dev eth0"], Environment: ["PATH=/sbin:/usr/sbin:/bin:/usr/bin"]);

    /// <summary>What the guest took, for the VM's event.</summary>
    public static string Describe(string hostName, VmNetwork? network) =>
        network is { } net ? $"MAC {net.Mac}, address {net.Address} and hostname {hostName}" : $"hostname {hostName}";

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
