namespace Formation.Silo.Vms;

/// <summary>How a VM process ended.</summary>
public sealed record VmExit(VmExitKind Kind, string Detail);
