using System.Buffers.Binary;

namespace Formation.P2p.Yamux;

/// <summary>The 12-byte yamux header: version u8 | type u8 | flags u16 | stream id u32 | length u32, big-endian.</summary>
internal readonly record struct YamuxFrame(byte Type, ushort Flags, uint StreamId, uint Length)
{
    public const int HeaderLength = 12;
    public const byte Data = 0;
    public const byte WindowUpdate = 1;
    public const byte Ping = 2;
    public const byte GoAway = 3;
    public const ushort Syn = 1;
    public const ushort Ack = 2;
    public const ushort Fin = 4;
    public const ushort Rst = 8;
    public const uint GoAwayNormal = 0;
    public const uint GoAwayProtocolError = 1;

    public bool Has(ushort flag) => (Flags & flag) != 0;

    public void Write(Span<byte> header)
    {
        header[0] = 0;
        header[1] = Type;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], Flags);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], StreamId);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], Length);
    }

    public static YamuxFrame Read(ReadOnlySpan<byte> header)
    {
        if (header[0] != 0)
        {
            throw new P2pProtocolException($"yamux version {header[0]}, expected 0");
        }

        var frame = new YamuxFrame(header[1], BinaryPrimitives.ReadUInt16BigEndian(header[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(header[4..]), BinaryPrimitives.ReadUInt32BigEndian(header[8..]));
        if (frame.Type > GoAway)
        {
            throw new P2pProtocolException($"yamux frame type {frame.Type} is unknown");
        }

        return frame;
    }
}
