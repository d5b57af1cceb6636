using System.Buffers;

namespace Formation.P2p.Encoding;

/// <summary>A minimal protobuf writer: varint and length-delimited fields, written in the order called.</summary>
public sealed class ProtoWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(64);

    /// <summary>Bytes written so far.</summary>
    public int Length => _buffer.WrittenCount;

    /// <summary>Writes a varint field (wire type 0).</summary>
    public ProtoWriter WriteVarint(int field, ulong value)
    {
        WriteRaw(((ulong)field << 3) | 0);
        WriteRaw(value);
        return this;
    }

    /// <summary>Writes a bytes field (wire type 2).</summary>
    public ProtoWriter WriteBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteRaw(((ulong)field << 3) | 2);
        WriteRaw((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>Writes a string field as UTF-8.</summary>
    public ProtoWriter WriteString(int field, string value) => WriteBytes(field, System.Text.Encoding.UTF8.GetBytes(value));

    /// <summary>Writes a nested message field.</summary>
    public ProtoWriter WriteMessage(int field, ProtoWriter message) => WriteBytes(field, message._buffer.WrittenSpan);

    /// <summary>The encoded message.</summary>
    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    private void WriteRaw(ulong value)
    {
        var span = _buffer.GetSpan(Varint.MaxLength + 1);
        _buffer.Advance(Varint.Write(span, value));
    }
}
