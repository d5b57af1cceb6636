using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Formation.Silo.Tests.Network;

/// <summary>
/// The node's side of a bridge lab: a UDP socket on the gateway address that records every datagram with the source
/// address it came from (the way DNS knows a guest), and a TCP listener there answering "reached" (DNS over TCP, the
/// edge proxy).
/// </summary>
public sealed class NodeListener : IDisposable
{
    private readonly UdpClient _udp;
    private readonly TcpListener _tcp;
    private readonly ConcurrentQueue<(string Source, string Text)> _received = new();
    private readonly CancellationTokenSource _stop = new();

    public NodeListener(string gateway)
    {
        _udp = new UdpClient(new IPEndPoint(IPAddress.Parse(gateway), 0));
        UdpPort = ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;
        _tcp = new TcpListener(IPAddress.Parse(gateway), 0);
        _tcp.Start();
        TcpPort = ((IPEndPoint)_tcp.LocalEndpoint).Port;
        _ = Task.Run(ReceiveAsync);
        _ = Task.Run(AcceptAsync);
    }

    public int UdpPort { get; }

    public int TcpPort { get; }

    /// <summary>The source address of the datagram holding <paramref name="text"/>, or null if none came within <paramref name="wait"/>.</summary>
    public async Task<string?> SourceOfAsync(string text, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            foreach (var (source, received) in _received)
            {
                if (received == text)
                {
                    return source;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                return null;
            }

            await Task.Delay(50);
        }
    }

    private async Task ReceiveAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var datagram = await _udp.ReceiveAsync(_stop.Token);
                _received.Enqueue((datagram.RemoteEndPoint.Address.ToString(), Encoding.ASCII.GetString(datagram.Buffer).Trim()));
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var client = await _tcp.AcceptTcpClientAsync(_stop.Token);
                await client.GetStream().WriteAsync("reached\n"u8.ToArray(), _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
        _tcp.Stop();
        _stop.Dispose();
    }
}
