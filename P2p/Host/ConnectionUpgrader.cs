using Formation.P2p.Identity;
using Formation.P2p.Multistream;
using Formation.P2p.Noise;
using Formation.P2p.Yamux;
using Microsoft.Extensions.Logging;

namespace Formation.P2p.Host;

/// <summary>
/// Turns a raw TCP stream into a secured, multiplexed connection (connections/README.md): multistream-select
/// <c>/noise</c>, the Noise XX handshake (the dialer initiates), then yamux, chosen inside the handshake when both
/// sides list muxers (inlined-muxer-negotiation.md) and with multistream-select otherwise.
/// </summary>
internal static class ConnectionUpgrader
{
    public const string YamuxProtocol = "/yamux/1.0.0";

    public static async Task<(YamuxSession Session, PeerId Remote)> UpgradeAsync(
        Stream raw, bool dialer, P2pHostOptions options, PeerId? expectedRemote, ILogger logger, CancellationToken cancellationToken)
    {
        if (dialer)
        {
            await MultistreamSelect.SelectAsync(raw, [NoiseHandshake.ProtocolId], cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await MultistreamSelect.HandleAsync(raw, [NoiseHandshake.ProtocolId], cancellationToken).ConfigureAwait(false);
        }

        string[] localMuxers = options.InlineMuxerNegotiation ? [YamuxProtocol] : [];
        var noise = await NoiseHandshake.RunAsync(raw, options.Identity, dialer, localMuxers, expectedRemote, cancellationToken).ConfigureAwait(false);
        try
        {
            // Inline only when both lists are non-empty; otherwise each side expects multistream-select.
            if (localMuxers.Length == 0 || noise.RemoteMuxers.Count == 0)
            {
                if (dialer)
                {
                    await MultistreamSelect.SelectAsync(noise.Stream, [YamuxProtocol], cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await MultistreamSelect.HandleAsync(noise.Stream, [YamuxProtocol], cancellationToken).ConfigureAwait(false);
                }
            }
            else if (!noise.RemoteMuxers.Contains(YamuxProtocol))
            {
                throw new P2pProtocolException($"the peer offers only the muxers {string.Join(", ", noise.RemoteMuxers)}; this node speaks {YamuxProtocol}");
            }

            return (new YamuxSession(noise.Stream, isClient: dialer, options.Yamux, logger), noise.RemotePeer);
        }
        catch
        {
            await noise.Stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
