using System.Diagnostics;
using Formation.Silo.Network;
using Formation.Silo.Platform;
using Formation.Silo.Tests.Mesh;

namespace Formation.Silo.Tests.Network;

/// <summary>
/// A node's VM bridge with stand-in guests for live bridge-guard tests: a real Linux bridge holding the gateway
/// (<c>.1/24</c> of a random <c>10.250.x.0/24</c>) and, per guest, a network namespace whose veth's host end is a
/// port of the bridge, like a VM's TAP (the guest's MAC and address are those of a VM: set inside the namespace, as a
/// guest kernel would). A guest's port joins the node's link group only when <see cref="GuardAsync"/> says so, so an
/// attack can first be shown to work without the guard. Disposing removes namespaces, links, the bridge and the table.
/// </summary>
public sealed class BridgeLab : IAsyncDisposable
{
    private readonly string _tag = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
    private readonly List<LabGuest> _guests = [];
    private readonly List<Process> _servers = [];
    private readonly int _third = Random.Shared.Next(1, 250);

    private BridgeLab()
    {
        Guard = new BridgeGuard(new NodeIdentity("guardtest-" + _tag));
        Bridge = "fgb" + _tag;
    }

    public BridgeGuard Guard { get; }

    public string Bridge { get; }

    public string Gateway => $"10.250.{_third}.1";

    /// <summary>The node's VM subnet in this lab (outside the overlay: tell DNS it is a guest range).</summary>
    public string Subnet => $"10.250.{_third}.0/24";

    public static async Task<BridgeLab> CreateAsync()
    {
        var lab = new BridgeLab();
        try
        {
            await VethGuest.RunAsync("ip", "link", "add", lab.Bridge, "type", "bridge");
            await VethGuest.RunAsync("ip", "addr", "add", lab.Gateway + "/24", "dev", lab.Bridge);
            await VethGuest.RunAsync("ip", "link", "set", lab.Bridge, "up");
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>The bridge's own MAC (what a guest's gateway neighbour entry holds).</summary>
    public string BridgeMac => File.ReadAllText($"/sys/class/net/{Bridge}/address").Trim();

    /// <summary>A guest with address <c>.{host}</c> and MAC <c>02:fb:…:{host}</c> on a new port of the bridge.</summary>
    public async Task<LabGuest> AddGuestAsync(int host, string account)
    {
        var guest = new LabGuest(this, $"fgn{_tag}{host:x2}", $"fgp{_tag}{host:x2}", $"02:fb:{_tag[..2]}:{_tag[2..4]}:{_tag[4..6]}:{host:x2}",
            $"10.250.{_third}.{host}", account);
        _guests.Add(guest);
        var inside = "fgi" + _tag + host.ToString("x2", System.Globalization.CultureInfo.InvariantCulture);
        await VethGuest.RunAsync("ip", "netns", "add", guest.Namespace);
        await VethGuest.RunAsync("ip", "link", "add", guest.Port, "type", "veth", "peer", "name", inside);
        await VethGuest.RunAsync("ip", "link", "set", inside, "netns", guest.Namespace);
        await VethGuest.RunAsync("ip", "link", "set", guest.Port, "master", Bridge, "up");
        await guest.InAsync("ip", "link", "set", inside, "name", "eth0");
        await guest.InAsync("ip", "link", "set", "eth0", "address", guest.Mac);
        await guest.InAsync("ip", "addr", "add", guest.Address + "/24", "dev", "eth0");
        await guest.InAsync("ip", "link", "set", "eth0", "up");
        await guest.InAsync("ip", "link", "set", "lo", "up");
        await guest.InAsync("ip", "route", "add", "default", "via", Gateway);
        return guest;
    }

    /// <summary>What the VM runtime does for a VM: the port joins the node's link group and gets its entry.</summary>
    public async Task GuardAsync(LabGuest guest)
    {
        await Guard.AdmitAsync(guest.Network, guest.Account, CancellationToken.None);
        await VethGuest.RunAsync("ip", "link", "set", "dev", guest.Port, "group", Guard.LinkGroup.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Starts a TCP server in the guest that answers every connection with "reached".</summary>
    public Task ServeAsync(LabGuest guest, int port) => ServeAsync(guest.Namespace, port);

    /// <summary>Starts a TCP server in namespace <paramref name="ns"/> that answers every connection with "reached".</summary>
    public async Task ServeAsync(string ns, int port)
    {
        var server = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", ns, "busybox", "nc", "-ll", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-e", "/bin/echo", "reached"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _servers.Add(server);
        for (var i = 0; i < 50 && !(await VethGuest.CaptureAsync("ip", "netns", "exec", ns, "ss", "-Hltn")).Contains($":{port} ", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
        }
    }

    /// <summary>Whether <paramref name="from"/> gets "reached" from a TCP connection to <paramref name="address"/>:<paramref name="port"/>.</summary>
    public static Task<bool> ConnectsAsync(LabGuest from, string address, int port) => ConnectsAsync(from.Namespace, address, port);

    /// <summary>Whether a TCP connection from namespace <paramref name="from"/> to <paramref name="address"/>:<paramref name="port"/> gets "reached".</summary>
    public static async Task<bool> ConnectsAsync(string from, string address, int port)
    {
        var result = await ProcessRunner.RunAsync("ip", ["netns", "exec", from, "busybox", "nc", "-w", "2", address, port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            null, 10, TimeSpan.FromSeconds(15), CancellationToken.None);
        return result.ExitCode == 0 && result.OutputTail.Contains("reached");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            try
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            server.Dispose();
        }

        foreach (var guest in _guests)
        {
            await VethGuest.CaptureAsync("ip", "link", "del", guest.Port);
            await VethGuest.CaptureAsync("ip", "netns", "del", guest.Namespace);
        }

        await VethGuest.CaptureAsync("ip", "link", "del", Bridge);
        await HostNft.DeleteAsync("bridge", Guard.Table, CancellationToken.None);
    }
}
