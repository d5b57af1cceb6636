using System.Diagnostics;

namespace Formation.Silo.Tests.Discovery;

/// <summary>
/// Two silos started with --mdns and no --join, inside a network namespace of their own (multicast on its loopback
/// only, never on the machine's network), find each other and exchange their node records.
/// </summary>
[Trait("Category", "Slow")]
public sealed class MdnsSiloTests : IAsyncDisposable
{
    private readonly TestDirectory _data = new("dc-mdns");
    private readonly string _namespace = $"dc-mdns-{Environment.ProcessId}-{Random.Shared.Next(100000)}";
    private readonly List<SiloProcess> _silos = [];
    private bool _created;

    [Fact]
    public async Task TwoSilosWithMdns_FindEachOther_InANetworkNamespace()
    {
        Prerequisites.Require(Environment.UserName == "root", "root, to create a network namespace (ip netns add)");
        Ip("netns", "add", _namespace);
        _created = true;
        Ip("netns", "exec", _namespace, "ip", "link", "set", "lo", "up");
        Ip("netns", "exec", _namespace, "ip", "link", "set", "lo", "multicast", "on");
        Ip("netns", "exec", _namespace, "ip", "route", "add", "224.0.0.0/4", "dev", "lo");

        var one = await StartAsync("dc-mdns-1");
        var two = await StartAsync("dc-mdns-2");
        var oneInfo = await SiloReads.SelfAsync(one);
        var twoInfo = await SiloReads.SelfAsync(two);

        await SiloReads.WaitForPeerAsync(one, r => r.PeerId == twoInfo.PeerId && r.NodeId == "dc-mdns-2", "dc-mdns-2's record (found by mDNS)");
        await SiloReads.WaitForPeerAsync(two, r => r.PeerId == oneInfo.PeerId && r.NodeId == "dc-mdns-1", "dc-mdns-1's record (found by mDNS)");
        Assert.Contains("mDNS on", one.Output, StringComparison.Ordinal);
        Assert.Contains($"mDNS found {twoInfo.PeerId}", one.Output, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }

        if (_created)
        {
            Ip("netns", "delete", _namespace);
        }

        _data.Dispose();
    }

    private async Task<SiloProcess> StartAsync(string nodeId)
    {
        var silo = await SiloProcess.StartAsync(new SiloProcessOptions(nodeId, Path.Combine(_data.Path, nodeId))
        {
            ExtraArguments = ["--mdns"],
            Wrapper = ["ip", "netns", "exec", _namespace],
        });
        _silos.Add(silo);
        return silo;
    }

    private static void Ip(params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"ip {string.Join(' ', args)} failed: {error}");
    }
}
