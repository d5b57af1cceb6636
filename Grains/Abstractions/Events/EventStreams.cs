namespace Formation.Events;

/// <summary>Names of the Orleans streams Formation publishes on. Silos and clients configure the same provider.</summary>
public static class EventStreams
{
    /// <summary>The stream provider name.</summary>
    public const string Provider = "events";

    /// <summary>One stream per VM (key: VM id) carrying <see cref="Vms.VmEvent"/>.</summary>
    public const string Vm = "vm";

    /// <summary>One stream (key: <see cref="AllKey"/>) carrying every <see cref="Vms.VmEvent"/> of the cluster.</summary>
    public const string AllVms = "vms";

    /// <summary>One stream (key: <see cref="AllKey"/>) carrying <see cref="Nodes.NodeEvent"/>.</summary>
    public const string Nodes = "nodes";

    /// <summary>
    /// Image builds: one stream per build session (key: the session key) and one for every build of the cluster
    /// (key: <see cref="AllKey"/>), carrying <see cref="Images.ImageBuildEvent"/>.
    /// </summary>
    public const string Builds = "builds";

    public const string AllKey = "all";

    public static StreamId ForVm(string vmId) => StreamId.Create(Vm, vmId);

    public static StreamId ForAllVms() => StreamId.Create(AllVms, AllKey);

    public static StreamId ForNodes() => StreamId.Create(Nodes, AllKey);

    public static StreamId ForBuild(string sessionKey) => StreamId.Create(Builds, sessionKey);

    public static StreamId ForAllBuilds() => StreamId.Create(Builds, AllKey);
}
