namespace Formation.Kvm.Native.Boot;

/// <summary>Result of placing a Linux kernel in guest memory: where the BSP starts.</summary>
public sealed record BootSetup(LoadedKernel Kernel, ulong ZeroPage, ulong InitrdAddress, ulong InitrdSize, string CommandLine);
