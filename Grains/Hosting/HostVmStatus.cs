using Formation.Vms;

namespace Formation.Grains.Hosting;

/// <summary>What a host observes of one VM: Provisioning, Running, Paused, Stopping, Stopped or Failed.</summary>
public sealed record HostVmStatus(VmState State, string? Reason, string? Address, IReadOnlyList<string>? Ports = null);
