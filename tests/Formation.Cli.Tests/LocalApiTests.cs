using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Formation.Cli.Connection;
using Formation.Connection;
using Formation.LocalApi;

namespace Formation.Cli.Tests;

/// <summary>
/// Read commands on the silo's host go through its local API socket: same answers as through the Orleans gateway,
/// same errors, and a fall-back to the gateway when the socket is dead.
/// </summary>
public sealed class LocalApiTests(RunningSiloFixture silo) : IClassFixture<RunningSiloFixture>
{
    [Fact]
    public async Task TheSilo_ServesItsSocket_OwnerOnly()
    {
        var path = LocalApiPaths.Socket(silo.Silo.Options.GatewayPort);

        Assert.True(File.Exists(path), $"{path} is missing");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var client = LocalApiClient.For(new ConnectionSettings(silo.Silo.Gateway, null, "formation", "formation", TimeSpan.FromSeconds(10)));
        Assert.NotNull(client);
        var nodes = await client.ListNodesAsync(CancellationToken.None);
        Assert.Equal(silo.NodeId, Assert.Single(nodes).NodeId);
    }

    [Theory]
    [InlineData("vm", "list", "--json")]
    [InlineData("node", "list", "--json")]
    [InlineData("vm", "show", "{id}", "--json")]
    public async Task ReadCommands_AnswerTheSame_ThroughTheSocketAndTheGateway(params string[] args)
    {
        var id = await CreatedVmAsync();
        args = args.Select(a => a.Replace("{id}", id)).ToArray();

        var local = await FormAsync(useLocalApi: true, args);
        var gateway = await FormAsync(useLocalApi: false, args);

        Assert.True(local.ExitCode == 0, local.ToString());
        Assert.True(gateway.ExitCode == 0, gateway.ToString());
        Assert.Equal(WithoutHeartbeats(gateway.Out), WithoutHeartbeats(local.Out));
        Assert.Contains(args[0] == "node" ? silo.NodeId : id, local.Out);
    }

    [Fact]
    public async Task UnknownVm_SameErrorAndExitCode_BothWays()
    {
        var local = await FormAsync(useLocalApi: true, "vm", "show", "no-such-vm");
        var gateway = await FormAsync(useLocalApi: false, "vm", "show", "no-such-vm");

        Assert.Equal(1, local.ExitCode);
        Assert.Equal(gateway.ExitCode, local.ExitCode);
        Assert.Equal(gateway.Error, local.Error);
        Assert.Contains("no-such-vm", local.Error);
    }

    [Fact]
    public async Task Garbage_GetsAnErrorReply_AndTheSocketKeepsServing()
    {
        var path = LocalApiPaths.Socket(silo.Silo.Options.GatewayPort);
        foreach (var garbage in new[] { "not json\n", "{\"query\":\"drop tables\"}\n", "\n" })
        {
            var reply = await SendRawAsync(path, Encoding.UTF8.GetBytes(garbage));
            Assert.Contains("\"kind\":\"InvalidArgument\"", reply);
        }

        // Too long: the silo stops reading at its limit and answers; the client may see a reset for the rest it sent.
        try
        {
            Assert.Contains("longer than", await SendRawAsync(path, new byte[100_000]));
        }
        catch (IOException)
        {
        }

        var run = await FormAsync(useLocalApi: true, "node", "list");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(silo.NodeId, run.Out);
    }

    [Fact]
    public async Task DeadSocket_FallsBackToTheGateway()
    {
        // A socket file nobody listens on, as a SIGKILLed silo leaves behind, for a port where no silo runs.
        var port = FreePorts.Next();
        var path = LocalApiPaths.Socket(port);
        Directory.CreateDirectory(LocalApiPaths.RunRoot);
        File.Delete(path); // a silo SIGKILLed earlier (another test) may have left this very file: the port is free, its socket file need not be
        using (var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
        }

        try
        {
            var run = await FormRun.ProcessAsync("vm", "list", "--gateway", $"127.0.0.1:{port}");

            Assert.Equal(2, run.ExitCode);
            Assert.Contains($"no Formation silo answered at 127.0.0.1:{port}", run.Error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<string> SendRawAsync(string path, byte[] bytes)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        await using var stream = new NetworkStream(socket);
        await stream.WriteAsync(bytes);
        return await new StreamReader(stream).ReadToEndAsync();
    }

    private async Task<string> CreatedVmAsync()
    {
        var name = $"local-{Guid.NewGuid():N}"[..16];
        var create = await FormAsync(useLocalApi: false, "vm", "create", "--name", name, "--vcpus", "1", "--memory", "64", "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        return JsonNode.Parse(create.Out)!["id"]!.GetValue<string>();
    }

    private Task<FormRun> FormAsync(bool useLocalApi, params string[] args) =>
        FormRun.InProcessAsync(useLocalApi, [.. args, "--gateway", silo.Silo.Gateway]);

    /// <summary>Node heartbeats and a VM's latest usage sample move between two reads; everything else must be identical.</summary>
    private static string WithoutHeartbeats(string json) => MovingFields.Without(json);
}
