using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Formation.Silo.Hypervisors.Kvm;

/// <summary>
/// One request on formation-vmm's control socket (one JSON object per line; see Kvm.Native/README.md). Each request
/// uses its own connection, so a waiting request (shutdown, wait) blocks nothing else.
/// </summary>
public static class VmmControlClient
{
    public static async Task<JsonNode?> RequestAsync(string socketPath, JsonObject request, CancellationToken cancellationToken)
    {
        using var socket = await ConnectAsync(socketPath, cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"), cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var line = await reader.ReadLineAsync(cancellationToken)
            ?? throw new IOException($"formation-vmm closed the control connection without answering '{request["cmd"]}'");
        var reply = JsonNode.Parse(line) as JsonObject ?? throw new IOException($"formation-vmm answered with '{line}'");
        if (reply["ok"]?.GetValue<bool>() != true)
        {
            throw new InvalidOperationException($"formation-vmm refused '{request["cmd"]}': {reply["error"]?.GetValue<string>() ?? line}");
        }

        return reply["result"];
    }

    /// <summary>A connection switched to the raw console stream (after <c>{"cmd":"console"}</c>).</summary>
    public static async Task<Socket> OpenConsoleAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = await ConnectAsync(socketPath, cancellationToken);
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes("{\"cmd\":\"console\"}\n"), SocketFlags.None, cancellationToken);
            var line = new List<byte>();
            var one = new byte[1];
            while (await socket.ReceiveAsync(one, SocketFlags.None, cancellationToken) == 1 && one[0] != '\n')
            {
                line.Add(one[0]);
            }

            if (!Encoding.UTF8.GetString([.. line]).Contains("\"attached\":true", StringComparison.Ordinal))
            {
                throw new IOException($"formation-vmm did not attach the console: {Encoding.UTF8.GetString([.. line])}");
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<Socket> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
