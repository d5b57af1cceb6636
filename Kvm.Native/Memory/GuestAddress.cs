namespace Formation.Kvm.Native.Memory;

/// <summary>A guest-physical address. Arithmetic is checked by the memory accessors, not here.</summary>
public readonly record struct GuestAddress(ulong Value) : IComparable<GuestAddress>
{
    public static GuestAddress operator +(GuestAddress a, ulong offset) => new(unchecked(a.Value + offset));

    public static implicit operator GuestAddress(ulong value) => new(value);

    public int CompareTo(GuestAddress other) => Value.CompareTo(other.Value);

    public override string ToString() => $"0x{Value:x}";
}
