namespace Formation.Silo.HttpApi;

/// <summary>The body of <c>POST /v1/vms/{vm}/snapshots</c> (<c>form vm snapshot</c>); an empty body takes one with the default name.</summary>
public sealed record TakeSnapshotRequest(string? Name = null, bool Stop = false);

/// <summary>The body of <c>POST /v1/vms/{vm}/restore</c> (<c>form vm restore</c>): one of the VM's own snapshots, by name or id.</summary>
public sealed record RestoreVmRequest(string Snapshot);
