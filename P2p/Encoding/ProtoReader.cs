namespace Formation.P2p.Encoding;

/// <summary>
/// A minimal protobuf reader over untrusted bytes: every length is checked against what is left, unknown fields are
/// skipped, and any malformation throws <see cref="P2pProtocolException"/>.
/// </summary>
public ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    /// <summary>The wire type of the field last returned by <see cref="TryReadTag"/>.</summary>
    public int WireType { get; private set; }

    /// <summary>Reads the next field's tag; false at the end of the message.</summary>
    public bool TryReadTag(out int field)
    {
        if (_position >= _data.Length)
        {
            field = 0;
            return false;
        }

        var tag = Varint.Read(_data[_position..], uint.MaxValue, out var n);
        _position += n;
        field = (int)(tag >> 3);
        WireType = (int)(tag & 7);
        if (field == 0)
        {
            throw new P2pProtocolException("protobuf field number 0");
        }

        return true;
    }

    /// <summary>Reads a varint field's value.</summary>
    public ulong ReadVarint()
    {
        Expect(0);
        if (!Varint.TryRead(_data[_position..], out var value, out var n))
        {
            throw new P2pProtocolException("truncated protobuf varint");
        }

        _position += n;
        return value;
    }

    /// <summary>Reads a length-delimited field's bytes (a view into the message).</summary>
    public ReadOnlySpan<byte> ReadBytes()
    {
        Expect(2);
        var length = Varint.Read(_data[_position..], (ulong)(_data.Length - _position), out var n);
        _position += n;
        if ((ulong)(_data.Length - _position) < length)
        {
            throw new P2pProtocolException("protobuf field longer than its message");
        }

        var value = _data.Slice(_position, (int)length);
        _position += (int)length;
        return value;
    }

    /// <summary>Reads a string field (UTF-8).</summary>
    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadBytes());

    /// <summary>Skips the current field, whatever its wire type.</summary>
    public void Skip()
    {
        switch (WireType)
        {
            case 0:
                ReadVarint();
                break;
            case 1:
                Advance(8);
                break;
            case 2:
                ReadBytes();
                break;
            case 5:
                Advance(4);
                break;
            default:
                throw new P2pProtocolException($"unsupported protobuf wire type {WireType}");
        }
    }

    private void Advance(int n)
    {
        if (_data.Length - _position < n)
        {
            throw new P2pProtocolException("truncated protobuf field");
        }

        _position += n;
    }

    private readonly void Expect(int wireType)
    {
        if (WireType != wireType)
        {
            throw new P2pProtocolException($"protobuf wire type {WireType}, expected {wireType}");
        }
    }
}
