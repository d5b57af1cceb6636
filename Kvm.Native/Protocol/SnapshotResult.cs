namespace Formation.Vmm.Protocol;

/// <summary>The result of snapshot: where it went, the guest memory's size and how much of it was data (the rest, zero pages, are holes in the file).</summary>
public sealed record SnapshotResult(string Directory, long MemoryBytes, long MemoryDataBytes);
