using System.Text;
using Formation.P2p.Encoding;

namespace Formation.P2p.Multistream;

/// <summary>
/// multistream-select 1.0 (multiformats/multistream-select): each message is <c>uvarint(len) || utf8 || '\n'</c>.
/// The dialer proposes protocols one at a time; the listener echoes the one it takes or answers <c>na</c>.
/// Messages are read exactly (never past their end), so whatever follows stays in the stream for the next layer.
/// </summary>
public static class MultistreamSelect
{
    /// <summary>The protocol id of multistream-select itself.</summary>
    public const string Header = "/multistream/1.0.0";

    /// <summary>Longest message accepted (js-libp2p's limit too).</summary>
    public const int MaxMessageLength = 1024;

    /// <summary>How many refused proposals a listener accepts before it gives up on the dialer.</summary>
    public const int MaxProposals = 32;

    private const string NotAvailable = "na";

    /// <summary>
    /// Dialer side: proposes <paramref name="protocols"/> in order and returns the one the listener took.
    /// Sends the header and the first proposal in one write, as js-libp2p does.
    /// </summary>
    public static async Task<string> SelectAsync(Stream stream, IReadOnlyList<string> protocols, CancellationToken cancellationToken)
    {
        if (protocols.Count == 0)
        {
            throw new ArgumentException("no protocol to propose", nameof(protocols));
        }

        await stream.WriteAsync(Concat(Encode(Header), Encode(protocols[0])), cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        var header = await ReadMessageAsync(stream, cancellationToken).ConfigureAwait(false);
        if (header != Header)
        {
            throw new P2pProtocolException($"expected the multistream header, got '{Printable(header)}'");
        }

        for (var i = 0; i < protocols.Count; i++)
        {
            if (i > 0)
            {
                await stream.WriteAsync(Encode(protocols[i]), cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            var answer = await ReadMessageAsync(stream, cancellationToken).ConfigureAwait(false);
            if (answer == protocols[i])
            {
                return answer;
            }

            if (answer != NotAvailable)
            {
                throw new P2pProtocolException($"proposed '{protocols[i]}', the peer answered '{Printable(answer)}'");
            }
        }

        throw new ProtocolNotSupportedException($"the peer supports none of {string.Join(", ", protocols)}");
    }

    /// <summary>
    /// Listener side: reads the dialer's header, echoes it, then answers proposals until one is in
    /// <paramref name="supported"/> (echoed and returned). <c>ls</c> is answered with the list.
    /// </summary>
    public static async Task<string> HandleAsync(Stream stream, IReadOnlyCollection<string> supported, CancellationToken cancellationToken)
    {
        var header = await ReadMessageAsync(stream, cancellationToken).ConfigureAwait(false);
        if (header != Header)
        {
            throw new P2pProtocolException($"expected the multistream header, got '{Printable(header)}'");
        }

        await WriteAsync(stream, Encode(Header), cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < MaxProposals; i++)
        {
            var proposal = await ReadMessageAsync(stream, cancellationToken).ConfigureAwait(false);
            if (supported.Contains(proposal))
            {
                await WriteAsync(stream, Encode(proposal), cancellationToken).ConfigureAwait(false);
                return proposal;
            }

            if (proposal == "ls")
            {
                var list = new MemoryStream();
                foreach (var p in supported)
                {
                    list.Write(Encode(p));
                }

                list.Write("\n"u8);
                var body = list.ToArray();
                await WriteAsync(stream, Concat(Varint.Encode((ulong)body.Length), body), cancellationToken).ConfigureAwait(false);
                continue;
            }

            await WriteAsync(stream, Encode(NotAvailable), cancellationToken).ConfigureAwait(false);
        }

        throw new P2pProtocolException($"the dialer made more than {MaxProposals} proposals");
    }

    /// <summary>Encodes one message.</summary>
    public static byte[] Encode(string message)
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes(message + "\n");
        if (utf8.Length > MaxMessageLength)
        {
            throw new ArgumentException($"multistream message longer than {MaxMessageLength} bytes", nameof(message));
        }

        return Concat(Varint.Encode((ulong)utf8.Length), utf8);
    }

    /// <summary>Reads one message (without its newline); throws if it is too long, lacks its newline or the stream ends.</summary>
    public static async Task<string> ReadMessageAsync(Stream stream, CancellationToken cancellationToken)
    {
        var body = await LengthPrefixed.ReadAsync(stream, MaxMessageLength, cancellationToken).ConfigureAwait(false)
            ?? throw new EndOfStreamException("the peer closed the stream during protocol negotiation");
        if (body.Length == 0 || body[^1] != '\n')
        {
            throw new P2pProtocolException("multistream message does not end with a newline");
        }

        try
        {
            return new UTF8Encoding(false, true).GetString(body, 0, body.Length - 1);
        }
        catch (DecoderFallbackException e)
        {
            throw new P2pProtocolException("multistream message is not UTF-8", e);
        }
    }

    private static async Task WriteAsync(Stream stream, byte[] data, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static byte[] Concat(byte[] a, byte[] b) => [.. a, .. b];

    private static string Printable(string s) => s.Length > 64 ? s[..64] + "…" : s;
}
