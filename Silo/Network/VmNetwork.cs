namespace Formation.Silo.Network;

/// <summary>What a VM is given on the node's bridge: its TAP, MAC and address, and the gateway.</summary>
public sealed record VmNetwork(string Tap, string Mac, string Address, string Gateway, string Netmask, int PrefixLength)
{
    /// <summary>The kernel's <c>ip=</c> argument: client::gateway:netmask:hostname:eth0:off.</summary>
    public string KernelArgument(string hostName) => $"ip={Address}::{Gateway}:{Netmask}:{hostName}:eth0:off";
}
