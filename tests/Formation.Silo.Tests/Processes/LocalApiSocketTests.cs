using System.Net.Sockets;
using Formation.LocalApi;

namespace Formation.Silo.Tests.Processes;

/// <summary>The silo's local API socket over the life of a real formation-silo process: up, clean stop, SIGKILL, restart.</summary>
public sealed class LocalApiSocketTests : IDisposable
{
    private readonly TestDirectory _data = new("local-api");

    [Fact]
    public async Task Socket_IsRemovedOnCleanStop_AndAStaleOneIsReplacedOnRestart()
    {
        var options = new SiloProcessOptions("api-node", _data.Path);
        var path = LocalApiPaths.Socket(options.GatewayPort);

        await using (var silo = await SiloProcess.StartAsync(options))
        {
            await AssertAnswersAsync(path);
            await silo.KillAsync();
        }

        Assert.True(File.Exists(path), "a SIGKILLed silo cannot remove its socket");
        await Assert.ThrowsAsync<SocketException>(() => ConnectAsync(path));

        await using (var silo = await SiloProcess.StartAsync(options))
        {
            await AssertAnswersAsync(path);
            await silo.StopAsync();
            Assert.Contains("Local API on " + path, silo.Output);
        }

        Assert.False(File.Exists(path), $"{path} is left after a clean stop");
    }

    public void Dispose() => _data.Dispose();

    private static async Task AssertAnswersAsync(string path)
    {
        using var socket = await ConnectAsync(path);
        await using var stream = new NetworkStream(socket);
        await LocalApiProtocol.WriteRequestAsync(stream, new LocalApiRequest(LocalApiProtocol.Nodes), CancellationToken.None);
        var reply = await LocalApiProtocol.ReadReplyAsync(stream, CancellationToken.None);
        Assert.Contains(reply.Nodes!, n => n.NodeId == "api-node");
    }

    private static async Task<Socket> ConnectAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
