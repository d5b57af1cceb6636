using System.Net;
using Orleans.Configuration;

namespace Formation.Connection;

/// <summary>
/// The address an Orleans client names itself by. Left unset, Orleans finds one by enumerating the host's network
/// interfaces as the client starts, and .NET's enumeration throws ("An invalid IP address was specified") when an
/// interface comes or goes meanwhile — on a node, whenever a VM's TAP or a mesh interface does (seen in CI: a test's
/// client failed to start while another test made interfaces). The address only names the client (port 0 and a
/// generation of its own; nothing connects to it, replies come back on the client's connection), so loopback does.
/// </summary>
public static class ClientAddress
{
    public static IClientBuilder UseLoopbackClientAddress(this IClientBuilder client) =>
        client.Configure<ClientMessagingOptions>(o => o.LocalAddress = IPAddress.Loopback);
}
