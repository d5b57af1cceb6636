namespace Formation.Kvm.Native.Machine.Snapshots;

/// <summary>One model-specific register.</summary>
public sealed record MsrValue(uint Index, ulong Value);
