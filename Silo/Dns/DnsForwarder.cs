using System.Net;
using ARSoft.Tools.Net.Dns;

namespace Formation.Silo.Dns;

/// <summary>
/// Sends a guest's query for a name outside the zone to the host's resolvers (ARSoft's client: UDP, then TCP when
/// the answer is truncated) and returns their answer under the guest's message id. At most <c>maxInFlight</c> at once;
/// past that, or when no resolver answers in time, SERVFAIL.
/// </summary>
public sealed class DnsForwarder : IDisposable
{
    private readonly List<DnsClient> _clients;
    private readonly SemaphoreSlim _slots;

    /// <param name="resolvers">Asked in order until one answers; port 53 where an endpoint has port 0.</param>
    public DnsForwarder(IReadOnlyList<IPEndPoint> resolvers, TimeSpan timeout, int maxInFlight)
    {
        Resolvers = [.. resolvers.Select(r => r.Port == 0 ? new IPEndPoint(r.Address, 53) : r)];
        _clients = [.. Resolvers.Select(r => new DnsClient([r.Address],
            [new UdpClientTransport(r.Port), new TcpClientTransport(r.Port)], disposeTransport: true, (int)timeout.TotalMilliseconds))];
        _slots = new SemaphoreSlim(maxInFlight, maxInFlight);
    }

    public IReadOnlyList<IPEndPoint> Resolvers { get; }

    /// <summary>Parses <c>address</c> or <c>address:port</c> (a <c>Forwarders</c> entry).</summary>
    public static bool TryParseResolver(string text, out IPEndPoint endpoint)
    {
        if (IPAddress.TryParse(text, out var address))
        {
            endpoint = new IPEndPoint(address, 53);
            return true;
        }

        return IPEndPoint.TryParse(text, out endpoint!);
    }

    public async Task<DnsMessage> ForwardAsync(DnsMessage query, CancellationToken cancellationToken)
    {
        var id = query.TransactionID;
        var failure = query.CreateResponseInstance();
        failure.ReturnCode = ReturnCode.ServerFailure;
        failure.IsRecursionAllowed = true;
        if (_clients.Count == 0 || !_slots.Wait(0))
        {
            return failure;
        }

        try
        {
            var upstream = new DnsMessage
            {
                IsRecursionDesired = query.IsRecursionDesired,
                IsCheckingDisabled = query.IsCheckingDisabled,
                Questions = [.. query.Questions],
            };
            if (query.IsEDnsEnabled)
            {
                upstream.EDnsOptions = new OptRecord(ZoneAnswerer.MaxUdpPayload) { IsDnsSecOk = query.IsDnsSecOk };
            }

            DnsMessage? answer = null;
            foreach (var client in _clients)
            {
                answer = await client.SendMessageAsync(upstream, cancellationToken);
                if (answer is not null)
                {
                    break;
                }
            }

            if (answer is null)
            {
                return failure;
            }

            // Relayed, not ours: no AA (as any recursive resolver), which also keeps it out of the zone's answer cache.
            answer.TransactionID = id;
            answer.IsRecursionAllowed = true;
            answer.IsAuthoritiveAnswer = false;
            if (!query.IsEDnsEnabled)
            {
                answer.IsEDnsEnabled = false;
            }

            return answer;
        }
        catch (Exception)
        {
            return failure;
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();
}
