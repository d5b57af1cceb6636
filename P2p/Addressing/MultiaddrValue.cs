using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Formation.P2p.Identity;

namespace Formation.P2p.Addressing;

/// <summary>Text ↔ binary conversion and validation of multiaddr component values.</summary>
internal static class MultiaddrValue
{
    public static bool TryEncode(MultiaddrProtocol protocol, string text, out byte[] value, out string error)
    {
        value = [];
        error = "";
        switch (protocol.Name)
        {
            case "ip4" or "ip6":
                var family = protocol.Name == "ip4" ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
                if (!IPAddress.TryParse(text, out var ip) || ip.AddressFamily != family)
                {
                    error = $"'{text}' is not an {protocol.Name} address";
                    return false;
                }

                value = ip.GetAddressBytes();
                return true;
            case "tcp" or "udp" or "dccp" or "sctp":
                if (!ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
                {
                    error = $"'{text}' is not a port (0-65535)";
                    return false;
                }

                value = new byte[2];
                BinaryPrimitives.WriteUInt16BigEndian(value, port);
                return true;
            case "ipcidr":
                if (!byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var bits))
                {
                    error = $"'{text}' is not a prefix length";
                    return false;
                }

                value = [bits];
                return true;
            case "p2p":
                if (!PeerId.TryParse(text, out var peer))
                {
                    error = $"'{text}' is not a PeerId";
                    return false;
                }

                value = peer.ToBytes();
                return true;
            case "certhash":
                // Multibase base64url ('u', no padding): what ToText writes, so binary and text forms round-trip.
                if (text.Length == 0 || text[0] != 'u' || !TryBase64Url(text.AsSpan(1), out value))
                {
                    error = $"'{text}' is not a certhash (multibase base64url: 'u' followed by base64url without padding)";
                    return false;
                }

                return true;
            default:
                value = System.Text.Encoding.UTF8.GetBytes(text);
                if (value.Length is 0 or > 255)
                {
                    error = $"'{protocol.Name}' value must be 1-255 bytes";
                    return false;
                }

                return true;
        }
    }

    public static bool IsValid(MultiaddrProtocol protocol, byte[] value) => protocol.Name switch
    {
        "p2p" => PeerId.TryFromBytes(value, out _),
        "dns" or "dns4" or "dns6" or "dnsaddr" or "sni" or "ip6zone" => value.Length is > 0 and <= 255 && IsPrintable(value),
        _ => true,
    };

    public static string ToText(MultiaddrProtocol protocol, byte[] value) => protocol.Name switch
    {
        "ip4" or "ip6" => new IPAddress(value).ToString(),
        "tcp" or "udp" or "dccp" or "sctp" => BinaryPrimitives.ReadUInt16BigEndian(value).ToString(CultureInfo.InvariantCulture),
        "ipcidr" => value[0].ToString(CultureInfo.InvariantCulture),
        "p2p" => PeerId.FromBytes(value).ToString(),
        "certhash" => "u" + Convert.ToBase64String(value).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
        _ => System.Text.Encoding.UTF8.GetString(value),
    };

    private static bool IsPrintable(byte[] value)
    {
        foreach (var b in value)
        {
            if (b is < 0x21 or > 0x7E || b == '/')
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryBase64Url(ReadOnlySpan<char> text, out byte[] value)
    {
        value = [];
        if (text.IndexOfAny('+', '/', '=') >= 0 || text.Length % 4 == 1)
        {
            return false;
        }

        var padded = text.ToString().Replace('-', '+').Replace('_', '/') + new string('=', (4 - (text.Length % 4)) % 4);
        var buffer = new byte[padded.Length / 4 * 3];
        if (!Convert.TryFromBase64String(padded, buffer, out var written))
        {
            return false;
        }

        value = buffer[..written];
        return true;
    }
}
