using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Formation.P2p.Addressing;
using Formation.P2p.Host;
using Formation.P2p.Identity;
using Microsoft.Extensions.Logging;

namespace Formation.P2p.Mdns;

/// <summary>
/// libp2p mDNS discovery (discovery/mdns.md) on 224.0.0.251:5353: queries <c>_p2p._udp.local</c> PTR, answers queries
/// with a PTR to a random peer name plus one TXT <c>dnsaddr=&lt;multiaddr&gt;/p2p/&lt;id&gt;</c> per private or loopback
/// listen address, and reports peers found in responses (TXT records in answers or additionals).
/// </summary>
public sealed partial class MdnsDiscovery : IAsyncDisposable
{
    private static readonly IPAddress Group = IPAddress.Parse("224.0.0.251");
    private readonly P2pHost _host;
    private readonly MdnsOptions _options;
    private readonly ILogger _logger;
    private readonly string _peerName = RandomName();
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _socket;
    private Task? _receiveLoop;
    private Task? _queryLoop;

    /// <summary>Creates the discovery for <paramref name="host"/>; <see cref="Start"/> opens the socket.</summary>
    public MdnsDiscovery(P2pHost host, MdnsOptions options)
    {
        _host = host;
        _options = options;
        _logger = host.LoggerFactory.CreateLogger<MdnsDiscovery>();
    }

    /// <summary>Raised for each peer found (its id and dial addresses without /p2p).</summary>
    public event Action<PeerId, IReadOnlyList<Multiaddr>>? PeerDiscovered;

    /// <summary>Binds 0.0.0.0:5353 (shared with other responders), joins the group, and starts querying.</summary>
    public void Start()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(new IPEndPoint(IPAddress.Any, _options.Port));
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(Group));
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, true);
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 255);
        _socket = socket;
        _receiveLoop = Task.Run(ReceiveLoopAsync);
        _queryLoop = Task.Run(QueryLoopAsync);
    }

    /// <summary>Stops and closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        foreach (var loop in new[] { _receiveLoop, _queryLoop })
        {
            if (loop is not null)
            {
                try
                {
                    await loop.ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    // Stopped.
                }
            }
        }
    }

    /// <summary>This node's response: PTR to its peer name and a TXT dnsaddr per advertised address.</summary>
    internal DnsMessage Response()
    {
        var instance = $"{_peerName}.{_options.ServiceName}";
        var records = new List<DnsRecord> { new(_options.ServiceName, DnsRecord.Ptr, 120, instance, []) };
        foreach (var address in _host.ListenAddresses.Where(IsLocal))
        {
            var text = $"dnsaddr={address.WithPeerId(_host.PeerId)}";
            if (text.Length <= 255)
            {
                records.Add(new DnsRecord(instance, DnsRecord.Txt, 120, null, [text]));
            }
        }

        return new DnsMessage(DnsMessage.ResponseFlags, [], records);
    }

    /// <summary>Handles one datagram: answers a query, or reports the peers in a response.</summary>
    internal async Task OnDatagramAsync(ReadOnlyMemory<byte> datagram)
    {
        var message = DnsMessage.Decode(datagram.Span);
        if (!message.IsResponse)
        {
            if (message.Questions.Any(q => q.Type == DnsRecord.Ptr && q.Name.Equals(_options.ServiceName, StringComparison.OrdinalIgnoreCase)))
            {
                await SendAsync(Response().Encode()).ConfigureAwait(false);
            }

            return;
        }

        var instances = message.Records
            .Where(r => r.Type == DnsRecord.Ptr && r.Name.Equals(_options.ServiceName, StringComparison.OrdinalIgnoreCase) && r.Target is not null)
            .Select(r => r.Target!)
            .Where(t => !t.StartsWith(_peerName, StringComparison.Ordinal))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var instance in instances)
        {
            var addresses = message.Records
                .Where(r => r.Type == DnsRecord.Txt && r.Name.Equals(instance, StringComparison.OrdinalIgnoreCase))
                .SelectMany(r => r.Texts)
                .Where(t => t.StartsWith("dnsaddr=", StringComparison.Ordinal))
                .Select(t => Multiaddr.TryParse(t["dnsaddr=".Length..], out var a, out _) ? a : null)
                .Where(a => a?.PeerId is not null)
                .ToList();
            if (addresses.Count == 0)
            {
                continue;
            }

            var peer = addresses[0]!.PeerId!;
            if (peer == _host.PeerId)
            {
                continue;
            }

            var dial = addresses.Where(a => a!.PeerId == peer).Select(a => a!.WithoutPeerId()).Take(PeerStore.MaxAddressesPerPeer).ToList();
            _host.Peers.AddAddresses(peer, dial);
            LogDiscovered(_logger, peer, dial.Count);
            PeerDiscovered?.Invoke(peer, dial);
            if (_options.AutoDial && _host.ConnectionsTo(peer).Count == 0)
            {
                _ = DialQuietlyAsync(peer, dial);
            }
        }
    }

    private async Task DialQuietlyAsync(PeerId peer, IReadOnlyList<Multiaddr> addresses)
    {
        try
        {
            await _host.DialAsync(peer, addresses, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            LogDialFailed(_logger, peer, e.Message);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[9000];
        while (!_stopping.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await _socket!.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                continue;
            }

            try
            {
                await OnDatagramAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
            }
            catch (P2pProtocolException e)
            {
                LogBadPacket(_logger, e.Message);
            }
        }
    }

    private async Task QueryLoopAsync()
    {
        var query = new DnsMessage(0, [(_options.ServiceName, DnsRecord.Ptr)], []).Encode();
        using var timer = new PeriodicTimer(_options.QueryInterval);
        do
        {
            await SendAsync(query).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false));
    }

    private async Task SendAsync(byte[] datagram)
    {
        try
        {
            await _socket!.SendToAsync(datagram, SocketFlags.None, new IPEndPoint(Group, _options.Port), _stopping.Token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            LogSendFailed(_logger, e.Message);
        }
    }

    /// <summary>js advertises only private or loopback addresses over mDNS; so does this node.</summary>
    private static bool IsLocal(Multiaddr address)
    {
        var ip = address.ToTcpEndPoint()?.Address;
        if (ip is null)
        {
            return false;
        }

        if (IPAddress.IsLoopback(ip) || ip.IsIPv6LinkLocal || ip.IsIPv6UniqueLocal)
        {
            return true;
        }

        var b = ip.GetAddressBytes();
        return b.Length == 4 && (b[0] == 10 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254));
    }

    private static string RandomName()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(63, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "mdns: found {Peer} with {Count} addresses")]
    private static partial void LogDiscovered(ILogger logger, PeerId peer, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "mdns: dialling {Peer} failed: {Reason}")]
    private static partial void LogDialFailed(ILogger logger, PeerId peer, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "mdns: ignored a malformed packet: {Reason}")]
    private static partial void LogBadPacket(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "mdns: send failed: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, string reason);
}
