using Formation.Nodes;
using Formation.Silo.Hypervisors;
using Formation.Silo.Platform;

namespace Formation.Silo.Nodes;

/// <summary>This host as it registers itself: facts, the chosen driver, endpoints and what it offers to VMs.</summary>
public sealed record LocalNode(NodeIdentity Identity, HostFacts Facts, HypervisorChoice Hypervisor, NodeInfo Info)
{
    public static LocalNode Create(
        string nodeId, HostFacts facts, HypervisorChoice hypervisor, string siloEndpoint, string gatewayEndpoint,
        CapacityOptions capacity, TimeProvider clock, string storageMode = "", string peerId = "", IReadOnlyList<string>? multiaddrs = null,
        string metricsUrl = "")
    {
        var allocatable = new NodeCapacity(
            capacity.VCpus ?? (int)Math.Max(1, Math.Floor(facts.CpuCount * capacity.CpuOvercommit)),
            capacity.MemoryMiB ?? Math.Max(0, facts.MemoryMiB - capacity.ReservedMemoryMiB),
            capacity.DiskGiB ?? (long)(facts.DiskGiB * 0.9));
        var version = typeof(LocalNode).Assembly.GetName().Version?.ToString() ?? "0";
        var info = new NodeInfo(nodeId, facts.HostName, facts.CpuCount, facts.MemoryMiB, facts.DiskGiB, facts.KvmAvailable,
            facts.KvmDetail, hypervisor.Driver, hypervisor.Reason, siloEndpoint, gatewayEndpoint, allocatable, clock.GetUtcNow(), version, storageMode,
            peerId, multiaddrs ?? [], MetricsUrl: metricsUrl);
        return new LocalNode(new NodeIdentity(nodeId), facts, hypervisor, info);
    }
}
