using System.Net.Sockets;
using System.Text.Json.Nodes;
using Formation.LocalApi;
using Formation.Testing;

namespace Formation.Cli.Tests;

/// <summary>
/// The CLI's front door against a real silo: creates with a request id are idempotent on both paths (local API and
/// Orleans gateway), and a dead first gateway in a --gateway list is skipped for the next one.
/// </summary>
public sealed class FrontDoorTests(RunningSiloFixture silo) : IClassFixture<RunningSiloFixture>
{
    [Fact]
    public async Task Create_RepeatedWithItsRequestId_OnBothPaths_ReturnsTheSameVm()
    {
        var name = $"fd-{Guid.NewGuid():N}"[..14];
        string[] create = ["vm", "create", "--name", name, "--vcpus", "1", "--memory", "64", "--request-id", $"req-{name}", "--json", "--gateway", silo.Silo.Gateway];

        var first = await FormRun.InProcessAsync(useLocalApi: true, create);
        var viaSocket = await FormRun.InProcessAsync(useLocalApi: true, create);
        var viaGateway = await FormRun.InProcessAsync(useLocalApi: false, create);
        var other = await FormRun.InProcessAsync(useLocalApi: true, ["vm", "create", "--name", name, "--vcpus", "1", "--memory", "64", "--gateway", silo.Silo.Gateway]);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(viaSocket.ExitCode == 0, viaSocket.ToString());
        Assert.True(viaGateway.ExitCode == 0, viaGateway.ToString());
        var id = Id(first);
        Assert.Equal(id, Id(viaSocket));
        Assert.Equal(id, Id(viaGateway));
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("already exists", other.Error);
        var list = await FormRun.InProcessAsync(["vm", "list", "--json", "--gateway", silo.Silo.Gateway]);
        Assert.Single(JsonNode.Parse(list.Out)!.AsArray(), v => v!["name"]!.GetValue<string>() == name);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task DeadFirstGateway_TheNextOneAnswers(bool useLocalApi)
    {
        // A gateway nobody listens on, with the stale socket file a SIGKILLed silo leaves behind.
        var dead = FreePorts.Next();
        var stale = LocalApiPaths.Socket(dead);
        Directory.CreateDirectory(LocalApiPaths.RunRoot);
        File.Delete(stale); // a silo SIGKILLed earlier (another test) may have left this very file: the port is free, its socket file need not be
        using (var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            listener.Bind(new UnixDomainSocketEndPoint(stale));
        }

        try
        {
            var gateways = $"127.0.0.1:{dead},{silo.Silo.Gateway}";
            var name = $"fd-{Guid.NewGuid():N}"[..14];

            var create = await FormRun.InProcessAsync(useLocalApi, ["vm", "create", "--name", name, "--vcpus", "1", "--memory", "64", "--gateway", gateways]);
            var delete = await FormRun.InProcessAsync(useLocalApi, ["vm", "delete", name, "--gateway", gateways]);
            var again = await FormRun.InProcessAsync(useLocalApi, ["vm", "delete", name, "--gateway", gateways]);

            Assert.True(create.ExitCode == 0, create.ToString());
            Assert.Contains($"Created VM {name}", create.Out);
            Assert.True(delete.ExitCode == 0, delete.ToString());
            Assert.Equal(1, again.ExitCode); // not in doubt: a second delete of a deleted VM says so
            Assert.Contains($"No VM with id or name '{name}'", again.Error);
        }
        finally
        {
            File.Delete(stale);
        }
    }

    [Fact]
    public async Task AllGatewaysDead_ExitsTwoSayingNoSilo()
    {
        var gateways = $"127.0.0.1:{FreePorts.Next()},127.0.0.1:{FreePorts.Next()}";

        var run = await FormRun.ProcessAsync("vm", "create", "--name", "nowhere", "--vcpus", "1", "--memory", "64", "--gateway", gateways);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"no Formation silo answered at {gateways} within 5 s", run.Error);
    }

    private static string Id(FormRun run) => JsonNode.Parse(run.Out)!["id"]!.GetValue<string>();
}
