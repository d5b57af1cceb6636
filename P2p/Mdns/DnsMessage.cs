using System.Buffers.Binary;

namespace Formation.P2p.Mdns;

/// <summary>
/// The part of a DNS message (RFC 1035) that libp2p mDNS uses: questions, and PTR/TXT records in any section.
/// Parsing is bounded (section sizes, name length, compression-pointer hops) and throws
/// <see cref="P2pProtocolException"/> for malformed input; other record types are skipped.
/// </summary>
public sealed record DnsMessage(ushort Flags, IReadOnlyList<(string Name, ushort Type)> Questions, IReadOnlyList<DnsRecord> Records)
{
    /// <summary>QR|AA: an authoritative response.</summary>
    public const ushort ResponseFlags = 0x8400;

    private const int MaxRecords = 128;
    private const int MaxNameLength = 255;
    private const int MaxPointerHops = 16;

    /// <summary>True for a response (QR set).</summary>
    public bool IsResponse => (Flags & 0x8000) != 0;

    /// <summary>Encodes with id 0, no name compression (as js does). Records go in the answer section.</summary>
    public byte[] Encode()
    {
        var output = new MemoryStream();
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], Flags);
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)Questions.Count);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], (ushort)Records.Count);
        output.Write(header);
        foreach (var (name, type) in Questions)
        {
            WriteName(output, name);
            WriteU16(output, type);
            WriteU16(output, 1);
        }

        foreach (var record in Records)
        {
            WriteName(output, record.Name);
            WriteU16(output, record.Type);
            WriteU16(output, 1);
            WriteU16(output, (ushort)(record.Ttl >> 16));
            WriteU16(output, (ushort)record.Ttl);
            var data = new MemoryStream();
            if (record.Type == DnsRecord.Ptr)
            {
                WriteName(data, record.Target!);
            }
            else
            {
                foreach (var text in record.Texts)
                {
                    var bytes = System.Text.Encoding.UTF8.GetBytes(text);
                    data.WriteByte((byte)bytes.Length);
                    data.Write(bytes);
                }
            }

            WriteU16(output, (ushort)data.Length);
            data.WriteTo(output);
        }

        return output.ToArray();
    }

    /// <summary>Parses a message from the network.</summary>
    public static DnsMessage Decode(ReadOnlySpan<byte> message)
    {
        if (message.Length < 12)
        {
            throw new P2pProtocolException("DNS message shorter than its header");
        }

        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        int questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var records = BinaryPrimitives.ReadUInt16BigEndian(message[6..]) + BinaryPrimitives.ReadUInt16BigEndian(message[8..]) + BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        if (questions > MaxRecords || records > MaxRecords)
        {
            throw new P2pProtocolException($"DNS message with {questions} questions and {records} records");
        }

        var position = 12;
        var parsedQuestions = new List<(string, ushort)>();
        for (var i = 0; i < questions; i++)
        {
            var name = ReadName(message, ref position);
            Need(message, position, 4);
            parsedQuestions.Add((name, BinaryPrimitives.ReadUInt16BigEndian(message[position..])));
            position += 4;
        }

        var parsed = new List<DnsRecord>();
        for (var i = 0; i < records; i++)
        {
            var name = ReadName(message, ref position);
            Need(message, position, 10);
            var type = BinaryPrimitives.ReadUInt16BigEndian(message[position..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(position + 4)..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(position + 8)..]);
            position += 10;
            Need(message, position, length);
            var end = position + length;
            if (type == DnsRecord.Ptr)
            {
                var dataPosition = position;
                parsed.Add(new DnsRecord(name, type, ttl, ReadName(message, ref dataPosition), []));
            }
            else if (type == DnsRecord.Txt)
            {
                var texts = new List<string>();
                for (var p = position; p < end;)
                {
                    var n = message[p++];
                    Need(message[..end], p, n);
                    texts.Add(System.Text.Encoding.UTF8.GetString(message.Slice(p, n)));
                    p += n;
                }

                parsed.Add(new DnsRecord(name, type, ttl, null, texts));
            }

            position = end;
        }

        return new DnsMessage(flags, parsedQuestions, parsed);
    }

    private static string ReadName(ReadOnlySpan<byte> message, ref int position)
    {
        var name = new System.Text.StringBuilder();
        var p = position;
        var jumped = false;
        for (var hops = 0; ; )
        {
            Need(message, p, 1);
            var length = message[p];
            if (length == 0)
            {
                p++;
                break;
            }

            if ((length & 0xC0) == 0xC0)
            {
                Need(message, p, 2);
                if (++hops > MaxPointerHops)
                {
                    throw new P2pProtocolException("DNS name compression loop");
                }

                var target = ((length & 0x3F) << 8) | message[p + 1];
                if (!jumped)
                {
                    position = p + 2;
                    jumped = true;
                }

                p = target;
                continue;
            }

            if ((length & 0xC0) != 0)
            {
                throw new P2pProtocolException("DNS label with reserved length bits");
            }

            Need(message, p + 1, length);
            if (name.Length > 0)
            {
                name.Append('.');
            }

            name.Append(System.Text.Encoding.UTF8.GetString(message.Slice(p + 1, length)));
            if (name.Length > MaxNameLength)
            {
                throw new P2pProtocolException("DNS name longer than 255 bytes");
            }

            p += 1 + length;
        }

        if (!jumped)
        {
            position = p;
        }

        return name.ToString();
    }

    private static void Need(ReadOnlySpan<byte> message, int position, int count)
    {
        if (position < 0 || count < 0 || message.Length - position < count)
        {
            throw new P2pProtocolException("truncated DNS message");
        }
    }

    private static void WriteName(Stream output, string name)
    {
        foreach (var label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(label);
            output.WriteByte((byte)bytes.Length);
            output.Write(bytes);
        }

        output.WriteByte(0);
    }

    private static void WriteU16(Stream output, ushort value)
    {
        output.WriteByte((byte)(value >> 8));
        output.WriteByte((byte)value);
    }
}
