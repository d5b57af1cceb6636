using System.Net;
using System.Net.Sockets;

namespace Formation.Networking;

/// <summary>An IPv4 subnet such as 10.77.3.0/24: the host takes .1, VMs get .2 and up.</summary>
public readonly record struct Ipv4Subnet(uint Network, int PrefixLength)
{
    public static Ipv4Subnet Parse(string cidr)
    {
        if (!TryParse(cidr, out var subnet))
        {
            throw new FormatException($"'{cidr}' is not an IPv4 subnet like 10.77.0.0/24 (prefix 16–29).");
        }

        return subnet;
    }

    public static bool TryParse(string? cidr, out Ipv4Subnet subnet)
    {
        subnet = default;
        var slash = cidr?.IndexOf('/') ?? -1;
        if (slash <= 0 || !IPAddress.TryParse(cidr![..slash], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork ||
            !int.TryParse(cidr[(slash + 1)..], out var prefix) || prefix is < 16 or > 29)
        {
            return false;
        }

        var mask = Mask(prefix);
        subnet = new Ipv4Subnet(ToUInt(ip) & mask, prefix);
        return true;
    }

    /// <summary>Addresses VMs may get: .2 up to the last before broadcast.</summary>
    public int HostCount => (int)(Size - 3);

    public uint Size => 1u << (32 - PrefixLength);

    public IPAddress Gateway => FromUInt(Network + 1);

    public IPAddress Netmask => FromUInt(Mask(PrefixLength));

    /// <summary>The VM address with index 0 is .2.</summary>
    public IPAddress VmAddress(int index) =>
        index >= 0 && index < HostCount ? FromUInt(Network + 2 + (uint)index) : throw new ArgumentOutOfRangeException(nameof(index));

    public bool Contains(IPAddress address) => (ToUInt(address) & Mask(PrefixLength)) == Network;

    public bool Overlaps(Ipv4Subnet other)
    {
        var prefix = Math.Min(PrefixLength, other.PrefixLength);
        return (Network & Mask(prefix)) == (other.Network & Mask(prefix));
    }

    public override string ToString() => $"{FromUInt(Network)}/{PrefixLength}";

    private static uint Mask(int prefix) => prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);

    private static uint ToUInt(IPAddress ip)
    {
        var b = ip.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    private static IPAddress FromUInt(uint v) => new([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);
}
