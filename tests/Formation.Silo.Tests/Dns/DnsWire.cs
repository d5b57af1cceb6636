using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Formation.Silo.Tests.Dns;

/// <summary>Raw DNS datagrams for tests that must send what no client library would: hand-built, mutated, oversized.</summary>
public static class DnsWire
{
    /// <summary>A query for <paramref name="name"/> of <paramref name="type"/> (1 = A), optionally with an EDNS OPT record.</summary>
    public static byte[] Query(ushort id, string name, ushort type = 1, bool edns = false)
    {
        var bytes = new List<byte>();
        void U16(int v) => bytes.AddRange([(byte)(v >> 8), (byte)v]);
        U16(id);
        U16(0x0100); // RD
        U16(1);
        U16(0);
        U16(0);
        U16(edns ? 1 : 0);
        foreach (var label in name.Trim('.').Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.Add(0);
        U16(type);
        U16(1);
        if (edns)
        {
            bytes.Add(0);
            U16(41);
            U16(1232);
            bytes.AddRange([0, 0, 0, 0]);
            U16(0);
        }

        return [.. bytes];
    }

    public static ushort Id(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt16BigEndian(message);

    public static int Rcode(ReadOnlySpan<byte> message) => message[3] & 0x0f;

    public static int AnswerCount(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt16BigEndian(message[6..]);

    /// <summary>Sends one datagram and waits for one answer (null after <paramref name="timeout"/>).</summary>
    public static async Task<byte[]?> ExchangeAsync(IPEndPoint server, byte[] query, TimeSpan timeout, IPAddress? from = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(from ?? IPAddress.Loopback, 0));
        await socket.SendToAsync(query, server);
        var buffer = new byte[65535];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            return buffer[..received.ReceivedBytes];
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
