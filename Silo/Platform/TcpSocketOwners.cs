using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Formation.Silo.Platform;

/// <summary>
/// Who opened the other end of a loopback TCP connection, from the kernel's socket tables (<c>/proc/net/tcp</c> and
/// <c>/proc/net/tcp6</c>): the row whose local address is the connection's remote end and whose remote address is our
/// end carries the uid that created that socket. TCP has no SO_PEERCRED; for a connection inside this host (and this
/// network namespace) the table is the kernel's word all the same.
/// Only a row that still belongs to an open socket counts (non-zero inode): a socket its owner already closed lingers as a
/// time-wait entry that the kernel lists with uid 0, and must never pass for root.
/// </summary>
public static class TcpSocketOwners
{
    private const string Ipv4Table = "/proc/net/tcp";
    private const string Ipv6Table = "/proc/net/tcp6";

    /// <summary>The uid of the process that owns the socket at <paramref name="peer"/> connected to <paramref name="local"/>; null when none is found.</summary>
    public static long? UidOf(IPEndPoint peer, IPEndPoint local)
    {
        var (p, l) = (Normalize(peer), Normalize(local));
        foreach (var table in new[] { Ipv4Table, Ipv6Table })
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(table);
            }
            catch (IOException)
            {
                continue; // no IPv6 on this host
            }

            if (Find(lines, p, l) is { } uid)
            {
                return uid;
            }
        }

        return null;
    }

    /// <summary>The uid on the row of <paramref name="lines"/> (one table's text) for the socket <paramref name="peer"/> → <paramref name="local"/>.</summary>
    public static long? Find(IEnumerable<string> lines, IPEndPoint peer, IPEndPoint local)
    {
        foreach (var line in lines)
        {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 10 || !fields[0].EndsWith(':')
                || !TryParseEndPoint(fields[1], out var from) || !TryParseEndPoint(fields[2], out var to)
                || !from.Equals(peer) || !to.Equals(local))
            {
                continue;
            }

            if (fields[9] != "0" && long.TryParse(fields[7], NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
            {
                return uid;
            }
        }

        return null;
    }

    /// <summary>
    /// Parses the kernel's <c>ADDRESS:PORT</c> in hex: the address as 32-bit words each printed in host byte order
    /// (one word for IPv4, four for IPv6), the port as a plain number.
    /// </summary>
    public static bool TryParseEndPoint(string text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon is not (8 or 32) || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var port))
        {
            return false;
        }

        var bytes = new byte[colon / 2];
        for (var word = 0; word < colon / 8; word++)
        {
            if (!uint.TryParse(text.AsSpan(word * 8, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            // The kernel printed the word as a native (little-endian on the hosts Formation runs on) integer.
            var native = BitConverter.IsLittleEndian ? value : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(word * 4), native);
        }

        endPoint = Normalize(new IPEndPoint(new IPAddress(bytes), port));
        return true;
    }

    /// <summary>IPv4 in IPv6 clothing (::ffff:a.b.c.d) compared as the IPv4 address it is.</summary>
    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.IsIPv4MappedToIPv6
            ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port)
            : endPoint;
}
