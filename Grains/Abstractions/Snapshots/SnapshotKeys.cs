namespace Formation.Snapshots;

/// <summary>Grain keys and names of snapshots.</summary>
public static class SnapshotKeys
{
    /// <summary>Key of a node's snapshot store grain (host-affine: it runs on that node).</summary>
    public static string NodeStore(string nodeId) => $"{nodeId}/snapshots";

    /// <summary>The name a snapshot gets when none is given: the VM's name and the UTC time.</summary>
    public static string DefaultName(string vmName, DateTimeOffset at) => $"{vmName}-{at.UtcDateTime:yyyyMMdd-HHmmss}";

    /// <summary>The error for a snapshot a node does not hold, or holds for an account the caller may not act on: the same words.</summary>
    public static Errors.FormationException Missing(string nameOrId) => Errors.FormationException.NotFound(
        $"there is no snapshot '{nameOrId}' here; `form snapshot list` shows the snapshots and their nodes.");

    /// <summary>Throws an InvalidArgument error unless <paramref name="name"/> can name a snapshot (a DNS label).</summary>
    public static string RequireName(string name) => Names.RequireDnsLabel(name, "snapshot name");
}
