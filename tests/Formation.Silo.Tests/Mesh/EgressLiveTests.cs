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
/// Also on a node without the mesh, where the table has the drops only (no masquerade): --no-egress is not a silent no-op.
/// </summary>
public sealed class EgressLiveTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NoEgressGuest_CannotReachAHostAddressOutsideTheOverlay_AnEgressGuestCan(bool mesh)
    {
        var octet = Random.Shared.Next(1, 250);
        var outsideAddress = $"10.254.{octet}.1"; // a second address of the host, outside the guest's subnet
        var egress = new EgressNat(new NodeIdentity("egresstest-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6]));
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
        await using var guest = await VethGuest.CreateAsync($"10.253.{octet}");
        var ns = guest.Namespace;
        var guestAddress = guest.GuestAddress;
        try
        {
            await VethGuest.RunAsync("ip", "addr", "add", outsideAddress + "/32", "dev", guest.HostLink);

            var subnet = Ipv4Subnet.Parse($"10.253.{octet}.0/29");
            if (mesh)
            {
                await egress.EnsureAsync(subnet, guest.HostLink, "fwx" + ns[2..], CancellationToken.None);
            }
            else
            {
                await egress.EnsureFilterAsync(subnet, guest.HostLink, CancellationToken.None);
                var table = await VethGuest.CaptureAsync("nft", "list", "table", "ip", egress.Table);
                Assert.DoesNotContain("masquerade", table);
            }

            Assert.True(await ReachesAsync(ns, outsideAddress, port), "a guest with egress reaches the outside address");

            await egress.SetEgressAsync(guestAddress, allowed: false, CancellationToken.None);
            Assert.False(await ReachesAsync(ns, outsideAddress, port), "a --no-egress guest must not reach the outside address");

            await egress.SetEgressAsync(guestAddress, allowed: true, CancellationToken.None);
            Assert.True(await ReachesAsync(ns, outsideAddress, port), "egress back on");
        }
        finally
        {
            listener.Stop();
            await VethGuest.CaptureAsync("nft", "delete", "table", "ip", egress.Table);
        }
    }

    private static async Task<bool> ReachesAsync(string ns, string address, int port)
    {
        var result = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "busybox", "nc", "-w", "3", address, port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            null, 10, TimeSpan.FromSeconds(15), CancellationToken.None);
        return result.ExitCode == 0 && result.OutputTail.Contains("outside");
    }
}
