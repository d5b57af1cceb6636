using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Formation.Errors;
using Formation.Silo.Network;
using Formation.Silo.Platform;
using Formation.Testing;
using Formation.Vms;

namespace Formation.Silo.Tests.Mesh;

/// <summary>
/// <see cref="PortForwards"/> for real on this host's nftables: a "guest" is a network namespace behind a veth pair
/// serving HTTP; its published port on the host's veth address answers from the host, and is gone after close.
/// </summary>
public sealed class PortForwardsLiveTests
{
    [Fact]
    public async Task PublishedPort_ReachesTheGuestFromTheHost_TakenPortsAreRefused_CloseRemovesTheRule()
    {
        var forwards = new PortForwards(new NodeIdentity("pubtest-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6]));
        var root = Directory.CreateTempSubdirectory("formation-publish-");
        File.WriteAllText(Path.Combine(root.FullName, "index.html"), "hello from the published guest");
        await using var guest = await VethGuest.CreateAsync($"10.251.{Random.Shared.Next(1, 250)}");
        var (ns, hostAddress, guestAddress) = (guest.Namespace, guest.HostAddress, guest.GuestAddress);
        Process? server = null;
        try
        {
            server = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", ns, "busybox", "httpd", "-f", "-p", "8080", "-h", root.FullName])
            {
                UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
            })!;

            var hostPort = FreePorts.Next();
            await forwards.OpenAsync("vm-a", guestAddress, [new PortPublish(hostPort, 8080)], checkHost: true, CancellationToken.None);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var page = await Eventually.HoldsAsync(async () =>
            {
                try
                {
                    return await http.GetStringAsync($"http://{hostAddress}:{hostPort}/");
                }
                catch (HttpRequestException)
                {
                    return null;
                }
            }, b => b is not null, TimeSpan.FromSeconds(20), "the published port answers");
            Assert.Equal("hello from the published guest", page);

            // Another VM asking for the same host port, or a port a host process listens on, is refused by name.
            var taken = await Assert.ThrowsAsync<FormationException>(() =>
                forwards.OpenAsync("vm-b", guestAddress, [new PortPublish(hostPort, 80)], checkHost: true, CancellationToken.None));
            Assert.Contains("already published by VM vm-a", taken.Message, StringComparison.Ordinal);
            using var listener = new TcpListener(IPAddress.Any, 0);
            listener.Start();
            var busy = ((IPEndPoint)listener.LocalEndpoint).Port;
            var inUse = await Assert.ThrowsAsync<FormationException>(() =>
                forwards.OpenAsync("vm-b", guestAddress, [new PortPublish(busy, 80)], checkHost: true, CancellationToken.None));
            Assert.Contains("in use by a process on the host", inUse.Message, StringComparison.Ordinal);

            await forwards.CloseAsync("vm-a", CancellationToken.None);
            var table = await VethGuest.CaptureAsync("nft", "list", "table", "ip", forwards.Table);
            Assert.DoesNotContain("dnat", table, StringComparison.Ordinal);
            await Assert.ThrowsAnyAsync<Exception>(() => http.GetStringAsync($"http://{hostAddress}:{hostPort}/"));
        }
        finally
        {
            if (server is { HasExited: false })
            {
                server.Kill(entireProcessTree: true);
            }

            await VethGuest.CaptureAsync("nft", "delete", "table", "ip", forwards.Table);
            root.Delete(recursive: true);
        }
    }
}
