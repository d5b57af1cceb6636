using System.Net;
using System.Net.Sockets;
using Formation.Networking;
using Formation.Silo.Network;
using Formation.Silo.Platform;

namespace Formation.Silo.Tests.Mesh;

/// <summary>
/// <c>--no-egress</c> for real on this host's nftables: a "guest" namespace behind a veth pair reaches a host address
/// outside its subnet while its egress is on, not once it is off, and again once it is back on. (Forwarded traffic
/// is covered by the mesh test's egress and by <c>nft -c</c>: turning on ip_forward here would change the host.)
/// </summary>
public sealed class EgressLiveTests
{
    [Fact]
    public async Task NoEgressGuest_CannotReachAHostAddressOutsideTheOverlay_AnEgressGuestCan()
    {
        var tag = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        var ns = "fet" + tag;
        var octet = Random.Shared.Next(1, 250);
        var guestAddress = $"10.253.{octet}.2";
        var outsideAddress = $"10.254.{octet}.1"; // a second address of the host, outside the guest's subnet
        var egress = new EgressNat(new NodeIdentity("egresstest-" + tag));
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = Task.Run(async () =>
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                await client.GetStream().WriteAsync("outside\n"u8.ToArray());
            }
        });
        try
        {
            await Run("ip", "netns", "add", ns);
            await Run("ip", "link", "add", "feh" + tag, "type", "veth", "peer", "name", "feg" + tag);
            await Run("ip", "link", "set", "feg" + tag, "netns", ns);
            await Run("ip", "addr", "add", $"10.253.{octet}.1/30", "dev", "feh" + tag);
            await Run("ip", "link", "set", "feh" + tag, "up");
            await Run("ip", "addr", "add", outsideAddress + "/32", "dev", "feh" + tag);
            await Run("ip", "netns", "exec", ns, "ip", "addr", "add", guestAddress + "/30", "dev", "feg" + tag);
            await Run("ip", "netns", "exec", ns, "ip", "link", "set", "feg" + tag, "up");
            await Run("ip", "netns", "exec", ns, "ip", "route", "add", "default", "via", $"10.253.{octet}.1");

            await egress.EnsureAsync(Ipv4Subnet.Parse($"10.253.{octet}.0/29"), "feh" + tag, "fwx" + tag, CancellationToken.None);
            Assert.True(await ReachesAsync(ns, outsideAddress, port), "a guest with egress reaches the outside address");

            await egress.SetEgressAsync(guestAddress, allowed: false, CancellationToken.None);
            Assert.False(await ReachesAsync(ns, outsideAddress, port), "a --no-egress guest must not reach the outside address");

            await egress.SetEgressAsync(guestAddress, allowed: true, CancellationToken.None);
            Assert.True(await ReachesAsync(ns, outsideAddress, port), "egress back on");
        }
        finally
        {
            listener.Stop();
            await Capture("nft", "delete", "table", "ip", egress.Table);
            await Capture("ip", "link", "del", "feh" + tag);
            await Capture("ip", "netns", "del", ns);
        }
    }

    private static async Task<bool> ReachesAsync(string ns, string address, int port)
    {
        var result = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "busybox", "nc", "-w", "3", address, port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            null, 10, TimeSpan.FromSeconds(15), CancellationToken.None);
        return result.ExitCode == 0 && result.OutputTail.Contains("outside");
    }

    private static async Task Run(params string[] args)
    {
        var result = await ProcessRunner.RunAsync(args[0], args[1..], null, 10, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)}: {string.Join(" | ", result.OutputTail)}");
    }

    private static async Task<string> Capture(params string[] args)
    {
        var result = await ProcessRunner.RunAsync(args[0], args[1..], null, 50, TimeSpan.FromSeconds(30), CancellationToken.None);
        return string.Join('\n', result.OutputTail);
    }
}
