using System.Net;
using System.Net.Sockets;
using System.Text;
using Formation.P2p.Encoding;
using Formation.P2p.Identity;

namespace Formation.P2p.Addressing;

/// <summary>
/// A multiaddr (<c>/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…</c>): text and binary (<c>(uvarint code || value)*</c>) forms.
/// Binary input is untrusted: every length is checked and unknown protocol codes are refused.
/// </summary>
public sealed class Multiaddr : IEquatable<Multiaddr>
{
    /// <summary>Longest binary multiaddr accepted from the network.</summary>
    public const int MaxBytes = 1024;

    private readonly byte[] _bytes;

    private Multiaddr(byte[] bytes, IReadOnlyList<MultiaddrComponent> components)
    {
        _bytes = bytes;
        Components = components;
    }

    /// <summary>The components in order.</summary>
    public IReadOnlyList<MultiaddrComponent> Components { get; }

    /// <summary>The binary form.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The binary form as a new array.</summary>
    public byte[] ToBytes() => (byte[])_bytes.Clone();

    /// <summary>The PeerId of a trailing <c>/p2p/…</c>, or null.</summary>
    public PeerId? PeerId => Components.Count > 0 && Components[^1].Protocol.Code == MultiaddrProtocol.P2p
        ? Identity.PeerId.FromBytes(Components[^1].Value)
        : null;

    /// <summary>Parses the text form.</summary>
    public static Multiaddr Parse(string text) =>
        TryParse(text, out var address, out var error) ? address : throw new FormatException($"'{text}' is not a multiaddr: {error}");

    /// <summary>Parses the text form; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string text, out Multiaddr address, out string error)
    {
        address = null!;
        var parts = text.Split('/');
        if (parts.Length < 2 || parts[0].Length != 0)
        {
            error = "it must start with '/' (for example /ip4/127.0.0.1/tcp/4001)";
            return false;
        }

        var writer = new MemoryStream();
        for (var i = 1; i < parts.Length; i++)
        {
            if (parts[i].Length == 0 && i == parts.Length - 1)
            {
                break;
            }

            var protocol = MultiaddrProtocol.ByName(parts[i]);
            if (protocol is null)
            {
                error = $"unknown protocol '{parts[i]}'";
                return false;
            }

            writer.Write(Varint.Encode((ulong)protocol.Code));
            if (protocol.SizeBits == 0)
            {
                continue;
            }

            if (++i >= parts.Length)
            {
                error = $"'{protocol.Name}' needs a value";
                return false;
            }

            if (!MultiaddrValue.TryEncode(protocol, parts[i], out var value, out error))
            {
                return false;
            }

            if (protocol.SizeBits < 0)
            {
                writer.Write(Varint.Encode((ulong)value.Length));
            }

            writer.Write(value);
        }

        return TryFromBytes(writer.ToArray(), out address, out error);
    }

    /// <summary>Reads the binary form (from the network); throws <see cref="P2pProtocolException"/> if malformed.</summary>
    public static Multiaddr FromBytes(ReadOnlySpan<byte> bytes) =>
        TryFromBytes(bytes, out var address, out var error) ? address : throw new P2pProtocolException($"bad multiaddr: {error}");

    /// <summary>Reads the binary form; on failure <paramref name="error"/> says why.</summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, out Multiaddr address, out string error)
    {
        address = null!;
        error = "";
        if (bytes.Length == 0 || bytes.Length > MaxBytes)
        {
            error = $"length {bytes.Length} outside 1..{MaxBytes}";
            return false;
        }

        var components = new List<MultiaddrComponent>();
        var position = 0;
        try
        {
            while (position < bytes.Length)
            {
                var code = Varint.Read(bytes[position..], int.MaxValue, out var n);
                position += n;
                var protocol = MultiaddrProtocol.ByCode(code);
                if (protocol is null)
                {
                    error = $"unknown protocol code {code}";
                    return false;
                }

                int length;
                if (protocol.SizeBits >= 0)
                {
                    length = protocol.SizeBits / 8;
                }
                else
                {
                    length = (int)Varint.Read(bytes[position..], (ulong)(bytes.Length - position), out n);
                    position += n;
                }

                if (bytes.Length - position < length)
                {
                    error = $"'{protocol.Name}' value is truncated";
                    return false;
                }

                var value = bytes.Slice(position, length).ToArray();
                position += length;
                if (!MultiaddrValue.IsValid(protocol, value))
                {
                    error = $"invalid '{protocol.Name}' value";
                    return false;
                }

                components.Add(new MultiaddrComponent(protocol, value));
            }
        }
        catch (P2pProtocolException e)
        {
            error = e.Message;
            return false;
        }

        address = new Multiaddr(bytes.ToArray(), components);
        return true;
    }

    /// <summary><c>/ip4/…/tcp/…</c> or <c>/ip6/…/tcp/…</c> for an endpoint (IPv4-mapped IPv6 becomes ip4).</summary>
    public static Multiaddr FromTcpEndPoint(IPEndPoint endPoint)
    {
        var ip = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        var family = ip.AddressFamily == AddressFamily.InterNetwork ? "ip4" : "ip6";
        return Parse($"/{family}/{ip}/tcp/{endPoint.Port}");
    }

    /// <summary>The TCP endpoint of an <c>/ip4|ip6/…/tcp/…</c> address (anything may follow), or null.</summary>
    public IPEndPoint? ToTcpEndPoint()
    {
        if (Components.Count < 2 || Components[1].Protocol.Code != MultiaddrProtocol.Tcp)
        {
            return null;
        }

        var first = Components[0];
        if (first.Protocol.Code is not (MultiaddrProtocol.Ip4 or MultiaddrProtocol.Ip6))
        {
            return null;
        }

        return new IPEndPoint(new IPAddress(first.Value), (Components[1].Value[0] << 8) | Components[1].Value[1]);
    }

    /// <summary>This address without a trailing <c>/p2p/…</c>.</summary>
    public Multiaddr WithoutPeerId()
    {
        if (PeerId is null)
        {
            return this;
        }

        var last = Components[^1];
        var tail = Varint.SizeOf(MultiaddrProtocol.P2p) + Varint.SizeOf((ulong)last.Value.Length) + last.Value.Length;
        return FromBytes(_bytes.AsSpan(0, _bytes.Length - tail));
    }

    /// <summary>This address ending in <c>/p2p/&lt;peer&gt;</c>.</summary>
    public Multiaddr WithPeerId(PeerId peer) =>
        PeerId == peer ? this : FromBytes([.. WithoutPeerId()._bytes, .. Varint.Encode(MultiaddrProtocol.P2p), .. Varint.Encode((ulong)peer.Bytes.Length), .. peer.Bytes]);

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var c in Components)
        {
            text.Append('/').Append(c.Protocol.Name);
            if (c.Protocol.SizeBits != 0)
            {
                text.Append('/').Append(MultiaddrValue.ToText(c.Protocol, c.Value));
            }
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public bool Equals(Multiaddr? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Multiaddr);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.AddBytes(_bytes);
        return h.ToHashCode();
    }
}
