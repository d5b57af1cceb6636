namespace Formation.Vmm.Protocol;

/// <summary>A few registers of one vCPU in hex (<c>"0x1000"</c>) and its KVM MP state, for diagnostics.</summary>
public sealed record VcpuRegisters(string Rip, string Rsp, string Rflags, string Cr0, string Cr3, string Cs, string MpState);
