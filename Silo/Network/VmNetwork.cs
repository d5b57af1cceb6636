namespace Formation.Silo.Network;

/// <summary>What a VM is given on the node's bridge: its TAP, MAC and address, and the gateway.</summary>
public sealed record VmNetwork(string Tap, string Mac, string Address, string Gateway, string Netmask, int PrefixLength)
{
    /// <summary>
    /// The kernel's <c>ip=</c> argument: client::gateway:netmask:hostname:eth0:off[:dns0]. The guest init writes dns0
    /// (when given) to /etc/resolv.conf; without it the image's resolv.conf stays as it is.
    /// </summary>
    public string KernelArgument(string hostName, string? nameserver = null) =>
        $"ip={Address}::{Gateway}:{Netmask}:{hostName}:eth0:off" + (nameserver is null ? "" : $":{nameserver}");
}
