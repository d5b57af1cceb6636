namespace Formation.Kvm.Native.Boot;

/// <summary>What to boot: kernel and initrd bytes, command line, vCPU count, RAM size, table choices.</summary>
public sealed record BootOptions
{
    public required byte[] Kernel { get; init; }

    public byte[]? Initrd { get; init; }

    public string CommandLine { get; init; } = "";

    public int Vcpus { get; init; } = 1;

    public ulong MemoryBytes { get; init; }

    /// <summary>Write an MP table (needed for SMP with kernels that have X86_MPPARSE).</summary>
    public bool MpTable { get; init; } = true;

    /// <summary>Pass a 32-byte seed in setup_data (SETUP_RNG_SEED) so the guest's RNG is ready at once.</summary>
    public bool RngSeed { get; init; } = true;
}
