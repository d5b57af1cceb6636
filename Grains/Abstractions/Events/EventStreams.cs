namespace Formation.Events;

/// <summary>Names of the Orleans streams Formation publishes on. Silos and clients configure the same provider.</summary>
public static class EventStreams
{
    /// <summary>The stream provider name.</summary>
    public const string Provider = "events";

    /// <summary>
    /// How many queues the provider's memory streams spread events over; silos and clients must agree (a publisher
    /// hashes a stream onto one of them). Each queue is a grain that a pulling agent asks for news every 100 ms,
    /// whether or not anything happened: Orleans' default of 8 cost an idle 3-node cluster about 80 cross-silo calls a
    /// second (some 170 ms of CPU each second on a 2-core host, taken from every command it runs). VM, node and build
    /// events are a few per operation, so 2 queues carry them with room to spare.
    /// </summary>
    public const int QueueCount = 2;

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
