namespace Formation.Kvm.Native.Memory;

/// <summary>A contiguous range of guest RAM backed by host memory at <see cref="HostAddress"/>.</summary>
public sealed record GuestRegion(GuestAddress Start, ulong Size, nint HostAddress)
{
    public ulong End => Start.Value + Size;

    public bool Contains(ulong address, ulong length) =>
        address >= Start.Value && length <= Size && address - Start.Value <= Size - length;
}
