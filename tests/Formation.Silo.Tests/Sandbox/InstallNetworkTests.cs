using System.Net;
using System.Net.Sockets;
using Formation.Images;
using Formation.Silo.Pack;
using Formation.Silo.Tests.Pack;

namespace Formation.Silo.Tests.Sandbox;

/// <summary>
/// Finding 4: INSTALL runs in its own network namespace with egress only. An earlier RUN plants an apt hook (the
/// attack of the finding) that INSTALL then runs: it reaches the Debian mirror, but not a listener of the host on
/// 127.0.0.1, on the host's external address or on the host end of its own link, and holds no CAP_NET_RAW; the
/// package still installs from the real mirror; the step's veth and nftables table are gone afterwards, and a stale
/// link and table of a killed builder are swept. Uses the shared Debian test data directory (the base is built once).
/// </summary>
[Trait("Category", "Slow")]
public class InstallNetworkTests
{
    private const string ProbeMarker = "FORMATION-PROBE";

    [Fact]
    public async Task Install_AptHookFromAnEarlierRun_ReachesTheMirrorButNotTheHost()
    {
        TestEnvironment.RequireBuilder();
        var cancellation = TestContext.Current.CancellationToken;
        var external = ExternalAddress();
        using var anyListener = new TcpListener(IPAddress.Any, 0);
        using var loopbackListener = new TcpListener(IPAddress.Loopback, 0);
        anyListener.Start();
        loopbackListener.Start();
        var any = ((IPEndPoint)anyListener.LocalEndpoint).Port;
        var loopback = ((IPEndPoint)loopbackListener.LocalEndpoint).Port;
        var accepted = 0;
        _ = Task.Run(async () => { while (true) { (await anyListener.AcceptTcpClientAsync(cancellation)).Dispose(); Interlocked.Increment(ref accepted); } }, cancellation);
        _ = Task.Run(async () => { while (true) { (await loopbackListener.AcceptTcpClientAsync(cancellation)).Dispose(); Interlocked.Increment(ref accepted); } }, cancellation);

        // A killed builder's leftovers in a slot nobody holds: swept by the next lease.
        const int staleSlot = 63;
        await SandboxedBuild.RunAsync("ip", "link", "add", BuildNetwork.LinkPrefix + staleSlot, "type", "veth", "peer", "name", BuildNetwork.LinkPrefix + staleSlot + "p");
        await SandboxedBuild.RunAsync("nft", "add", "table", BuildNetwork.Family, BuildNetwork.TablePrefix + staleSlot);

        var probe = $$"""
            #!/bin/bash
            probe() { if timeout 5 bash -c "echo > /dev/tcp/$1/$2" 2>/dev/null; then r=open; else r=closed; fi; echo "{{ProbeMarker}} $1:$2 $r"; }
            g=$(awk '$2 == "00000000" { print $3 }' /proc/net/route)
            gw=$(printf '%d.%d.%d.%d' 0x${g:6:2} 0x${g:4:2} 0x${g:2:2} 0x${g:0:2})
            echo "{{ProbeMarker}} gateway $gw"
            probe 127.0.0.1 {{loopback}}
            probe 127.0.0.1 {{any}}
            probe {{external}} {{any}}
            probe "$gw" {{any}}
            probe deb.debian.org 80
            bnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)
            echo "{{ProbeMarker}} net_raw $(( (0x$bnd >> 13) & 1 ))"
            """;
        var encoded = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(probe));
        var formfile = $"""
            NAME install-net
            FROM debian:bookworm
            RUN echo {encoded} | base64 -d > /usr/local/sbin/probe && chmod 755 /usr/local/sbin/probe && echo 'APT::Update::Pre-Invoke {"{"} "/usr/local/sbin/probe"; {"}"};' > /etc/apt/apt.conf.d/00probe
            INSTALL hello
            RUN hello # {Guid.NewGuid():N}
            """;
        using var build = new SandboxedBuild(o => o.DataDirectory = DebianImageTests.SharedDataDirectory);
        var progress = new RecordingProgress();

        var manifest = await build.Builder.BuildAsync(new BuildRequest(formfile), progress, cancellation);

        var output = progress.Events.Where(e => e.Kind == BuildProgressKind.Output).Select(e => e.Message ?? "").ToList();
        var probes = output.Where(l => l.StartsWith(ProbeMarker, StringComparison.Ordinal)).Select(l => l[(ProbeMarker.Length + 1)..]).ToList();
        var gateway = probes.Single(p => p.StartsWith("gateway ", StringComparison.Ordinal))["gateway ".Length..];
        Assert.Contains("deb.debian.org:80 open", probes); // the probe works and the mirror is reachable
        Assert.Contains($"127.0.0.1:{loopback} closed", probes);
        Assert.Contains($"127.0.0.1:{any} closed", probes);
        Assert.Contains($"{external}:{any} closed", probes);
        Assert.Contains($"{gateway}:{any} closed", probes);
        Assert.Contains("net_raw 0", probes);
        Assert.Equal(0, Volatile.Read(ref accepted));
        Assert.Contains("Hello, world!", output); // the package came from the real mirror
        Assert.Equal("install-net", manifest.Name);

        var slot = (int)(BitConverter.ToUInt32(IPAddress.Parse(gateway).GetAddressBytes().Reverse().ToArray()) - 0x0A4E0001) / 4;
        var links = await SandboxedBuild.RunAsync("ip", "-o", "link", "show");
        var tables = await SandboxedBuild.RunAsync("nft", "list", "tables", BuildNetwork.Family);
        foreach (var gone in new[] { slot, staleSlot })
        {
            Assert.DoesNotContain(links, l => l.Contains($" {BuildNetwork.LinkPrefix}{gone}@", StringComparison.Ordinal) || l.Contains($" {BuildNetwork.LinkPrefix}{gone}p@", StringComparison.Ordinal));
            Assert.DoesNotContain($"table {BuildNetwork.Family} {BuildNetwork.TablePrefix}{gone}", tables);
        }

        Assert.Empty(build.LeftoverCgroups());
    }

    [Fact]
    public async Task Install_ResolverOnLoopback_FailsSayingWhatToSet()
    {
        TestEnvironment.RequireBuilder();
        using var build = new SandboxedBuild(o => (o.DataDirectory, o.BuildNameServers) = (DebianImageTests.SharedDataDirectory, ["127.0.0.53"]));

        var ex = await Assert.ThrowsAsync<ImageBuildException>(() =>
            build.BuildAsync($"NAME loop-dns\nFROM debian:bookworm\nRUN echo {Guid.NewGuid():N}\nINSTALL hello\n"));

        Assert.Equal(3, ex.Failure.Step);
        Assert.Contains("127.0.0.53 in Formation:Pack:BuildNameServers is on the host's loopback", ex.Failure.Message);
    }

    /// <summary>The host's address on its default route (what another machine would connect to).</summary>
    private static IPAddress ExternalAddress()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect("203.0.113.1", 9); // no packet is sent: this only picks the source address
        return ((IPEndPoint)socket.LocalEndPoint!).Address;
    }
}
