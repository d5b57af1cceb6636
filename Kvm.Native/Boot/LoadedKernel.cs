namespace Formation.Kvm.Native.Boot;

/// <summary>Where a kernel landed in guest memory and how to enter it.</summary>
/// <param name="Entry">64-bit entry point (guest-physical).</param>
/// <param name="Start">Lowest guest-physical byte of the loaded image.</param>
/// <param name="End">One past the highest byte the kernel uses (including bss / init_size).</param>
/// <param name="Format">"elf" or "bzImage".</param>
/// <param name="SetupHeader">For bzImage: the image's header bytes to copy into boot_params; empty for ELF.</param>
public sealed record LoadedKernel(ulong Entry, ulong Start, ulong End, string Format, byte[] SetupHeader);
