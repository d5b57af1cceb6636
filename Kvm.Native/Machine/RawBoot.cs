namespace Formation.Kvm.Native.Machine;

/// <summary>
/// Boots flat code instead of Linux (test guests): <paramref name="Code"/> is copied to
/// <paramref name="LoadAddress"/> and the BSP starts there in 64-bit mode with the identity map,
/// RSP at <paramref name="StackTop"/>. With <paramref name="AllVcpus"/>, every vCPU starts there at once
/// (no INIT/SIPI) with RDI = its index and its own 4 KiB of stack below <paramref name="StackTop"/>.
/// </summary>
public sealed record RawBoot(byte[] Code, ulong LoadAddress = 0x100000, ulong StackTop = 0x80000, bool AllVcpus = false);
