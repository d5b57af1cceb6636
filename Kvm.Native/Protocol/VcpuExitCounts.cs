using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary>KVM exits of one vCPU (or of all of them), by kind, as <c>info</c> reports them.</summary>
public sealed record VcpuExitCounts(
    long Io,
    long Mmio,
    long Hlt,
    long Interrupted,
    [property: JsonPropertyName("internal_error")] long InternalError,
    long Other,
    [property: JsonPropertyName("unhandled_io")] long UnhandledIo,
    [property: JsonPropertyName("unhandled_mmio")] long UnhandledMmio,
    [property: JsonPropertyName("emulation_fixups")] long EmulationFixups)
{
    public static readonly VcpuExitCounts Zero = new(0, 0, 0, 0, 0, 0, 0, 0, 0);

    public static VcpuExitCounts operator +(VcpuExitCounts a, VcpuExitCounts b) => new(
        a.Io + b.Io, a.Mmio + b.Mmio, a.Hlt + b.Hlt, a.Interrupted + b.Interrupted, a.InternalError + b.InternalError,
        a.Other + b.Other, a.UnhandledIo + b.UnhandledIo, a.UnhandledMmio + b.UnhandledMmio, a.EmulationFixups + b.EmulationFixups);
}
