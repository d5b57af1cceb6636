using System.Buffers.Binary;

namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// struct virtio_vsock_hdr (virtio 1.x "Socket Device"): 44 little-endian bytes in front of every packet on the rx and
/// tx queues. <see cref="Length"/> is the payload that follows; <see cref="BufAlloc"/> and <see cref="FwdCnt"/> are the
/// sender's receive buffer and how much of it it has consumed (credit-based flow control).
/// </summary>
public readonly record struct VsockPacketHeader(
    ulong SrcCid, ulong DstCid, uint SrcPort, uint DstPort, uint Length, ushort Type, ushort Op, uint Flags, uint BufAlloc, uint FwdCnt)
{
    public const int Size = 44;

    public static VsockPacketHeader Read(ReadOnlySpan<byte> b) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(b),
        BinaryPrimitives.ReadUInt64LittleEndian(b[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[16..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[20..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[24..]),
        BinaryPrimitives.ReadUInt16LittleEndian(b[28..]),
        BinaryPrimitives.ReadUInt16LittleEndian(b[30..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[32..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[36..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[40..]));

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(b, SrcCid);
        BinaryPrimitives.WriteUInt64LittleEndian(b[8..], DstCid);
        BinaryPrimitives.WriteUInt32LittleEndian(b[16..], SrcPort);
        BinaryPrimitives.WriteUInt32LittleEndian(b[20..], DstPort);
        BinaryPrimitives.WriteUInt32LittleEndian(b[24..], Length);
        BinaryPrimitives.WriteUInt16LittleEndian(b[28..], Type);
        BinaryPrimitives.WriteUInt16LittleEndian(b[30..], Op);
        BinaryPrimitives.WriteUInt32LittleEndian(b[32..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(b[36..], BufAlloc);
        BinaryPrimitives.WriteUInt32LittleEndian(b[40..], FwdCnt);
    }
}
