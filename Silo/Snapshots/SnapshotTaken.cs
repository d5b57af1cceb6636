using Formation.Snapshots;

namespace Formation.Silo.Snapshots;

/// <summary>A snapshot just taken: what was stored, how long the VM was paused, and how long it all took.</summary>
public sealed record SnapshotTaken(SnapshotInfo Snapshot, TimeSpan Paused, TimeSpan Total);
