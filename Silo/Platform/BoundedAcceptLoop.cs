using System.Net.Sockets;

namespace Formation.Silo.Platform;

/// <summary>
/// Accepts TCP connections until <c>stoppingToken</c> fires (which also stops the listener) and serves each on its own
/// task, at most as many at once as <c>slots</c> allows: a connection beyond that is closed at once, so a flood costs
/// one accept each and the work stays bounded. Every connection is disposed and its slot given back when served.
/// </summary>
public static class BoundedAcceptLoop
{
    public static async Task RunAsync(TcpListener listener, SemaphoreSlim slots, Func<TcpClient, CancellationToken, Task> serve,
        CancellationToken stoppingToken)
    {
        using var stop = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                break;
            }

            if (!slots.Wait(0))
            {
                client.Dispose();
                continue;
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    await serve(client, stoppingToken);
                }
                finally
                {
                    client.Dispose();
                    slots.Release();
                }
            }, CancellationToken.None);
        }
    }
}
