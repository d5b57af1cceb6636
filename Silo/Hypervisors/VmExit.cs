namespace Formation.Silo.Hypervisors;

/// <summary>How a VM process ended.</summary>
public sealed record VmExit(VmExitKind Kind, string Detail);
