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
    private readonly DnsClient? _client;
    private readonly SemaphoreSlim _slots;

    public DnsForwarder(IReadOnlyList<IPAddress> resolvers, TimeSpan timeout, int maxInFlight)
    {
        Resolvers = resolvers;
        _client = resolvers.Count == 0 ? null : new DnsClient(resolvers, (int)timeout.TotalMilliseconds);
        _slots = new SemaphoreSlim(maxInFlight, maxInFlight);
    }

    public IReadOnlyList<IPAddress> Resolvers { get; }

    public async Task<DnsMessage> ForwardAsync(DnsMessage query, CancellationToken cancellationToken)
    {
        var id = query.TransactionID;
        var failure = query.CreateResponseInstance();
        failure.ReturnCode = ReturnCode.ServerFailure;
        failure.IsRecursionAllowed = true;
        if (_client is null || !_slots.Wait(0))
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

            var answer = await _client.SendMessageAsync(upstream, cancellationToken);
            if (answer is null)
            {
                return failure;
            }

            answer.TransactionID = id;
            answer.IsRecursionAllowed = true;
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
