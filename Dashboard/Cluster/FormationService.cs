using Formation.Clusters;
using Formation.Edge;
using Formation.Events;
using Formation.Images;
using Formation.LocalApi;
using Formation.Metrics;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Services;
using Formation.Vms;
using Orleans.Streams;

namespace Formation.Dashboard.Cluster;

/// <summary>
/// Everything the pages ask of the cluster, through the same grains and contract helpers as <c>form</c>. Pages never call
/// <c>GetGrain</c> themselves. Calls fail with <see cref="ClusterUnavailableException"/> while there is no connection.
/// </summary>
public class FormationService(ClusterConnector connector)
{
    private IGrainFactory Grains => connector.Client;

    /// <summary>The gateway the dashboard uses, null in cluster mode.</summary>
    public string? Gateway => connector.Gateway;

    public virtual Task<IReadOnlyList<VmSummary>> ListVmsAsync() => Grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();

    public virtual Task<VmDetail> GetVmAsync(string idOrName) => new GrainReads(Grains).GetVmAsync(idOrName, CancellationToken.None);

    public virtual Task<IReadOnlyList<NodeStatus>> ListNodesAsync() => Grains.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();

    /// <summary>Every node with its latest sample (none where it is not healthy, keeps no metrics or has no sample yet), as <c>form top</c>.</summary>
    public virtual Task<IReadOnlyList<MetricsReads.NodeTop>> NodeTopsAsync() => MetricsReads.NodesAsync(Grains);

    /// <summary>A node's last <paramref name="count"/> samples (0: the whole hour it keeps), read on its own silo.</summary>
    public virtual Task<NodeMetrics> NodeMetricsAsync(string nodeId, int count = 0) => Grains.GetGrain<INodeMetricsGrain>(nodeId).GetNodeAsync(count);

    /// <summary>A VM's history from its node; NotFound while the node has not sampled it yet.</summary>
    public virtual Task<VmMetrics> VmMetricsAsync(VmRef vm, int count = 0) => Grains.GetGrain<INodeMetricsGrain>(vm.NodeId).GetVmAsync(vm.Id, count);

    public virtual Task<ClusterOverview> OverviewAsync() => ClusterOverview.LoadAsync(Grains);

    public virtual Task<IReadOnlyList<ImageStatus>> ListImagesAsync() => ImageReads.ListAsync(Grains);

    public virtual Task<(ImageStatus Status, ImageManifest? Manifest)> GetImageAsync(string reference) => ImageReads.GetAsync(Grains, reference);

    public virtual Task<IReadOnlyList<ServiceSummary>> ListServicesAsync() => Grains.GetGrain<IServiceCatalogGrain>(GrainKeys.Cluster).ListAsync();

    public virtual Task<ServiceInfo> GetServiceAsync(string name) => Grains.GetGrain<IServiceGrain>(name).GetAsync();

    /// <summary>Sets a service's replica count, checked with the CLI's rule first.</summary>
    public virtual Task<ServiceInfo> ScaleServiceAsync(string name, int replicas)
    {
        ServiceRules.RequireReplicas(replicas);
        return Grains.GetGrain<IServiceGrain>(name).ScaleAsync(replicas);
    }

    public virtual Task<ServiceInfo> RollbackServiceAsync(string name) => Grains.GetGrain<IServiceGrain>(name).RollbackAsync();

    public virtual Task<ServiceInfo> DeleteServiceAsync(string name) => Grains.GetGrain<IServiceGrain>(name).DeleteAsync();

    public virtual Task<IReadOnlyList<EdgeRoute>> ListRoutesAsync() => Grains.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster).ListAsync();

    /// <summary>The audit trail rows <paramref name="query"/> selects, oldest first (admins only).</summary>
    public virtual Task<IReadOnlyList<Formation.Audit.AuditEntry>> ReadAuditAsync(Formation.Audit.AuditQuery query) =>
        Grains.GetGrain<Formation.Audit.IAuditGrain>(Formation.Audit.IAuditGrain.Key).ReadAsync(query);

    public virtual Task<IReadOnlyList<EdgeTcpRoute>> ListTcpRoutesAsync() => Grains.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster).ListTcpAsync();

    /// <summary>The transitions of the <paramref name="vms"/> most recently changed VMs, newest last.</summary>
    public virtual async Task<IReadOnlyList<VmEvent>> RecentVmEventsAsync(int vms)
    {
        var recent = (await ListVmsAsync()).OrderByDescending(v => v.UpdatedAt).Take(vms);
        var histories = await Task.WhenAll(recent.Select(async v =>
        {
            try
            {
                return await Grains.GetGrain<IVmGrain>(GrainKeys.Vm(v.NodeId, v.Id)).GetEventsAsync();
            }
            catch (Errors.FormationException)
            {
                return []; // deleted meanwhile, or its node is gone: the others still count
            }
        }));
        return [.. histories.SelectMany(h => h).OrderBy(e => e.At)];
    }

    /// <summary>Checks the spec with the CLI's rules, then asks the catalog to place and create the VM.</summary>
    public virtual Task<VmInfo> CreateVmAsync(VmSpec spec)
    {
        VmSpecRules.Validate(spec);
        return Grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).CreateVmAsync(spec);
    }

    public virtual Task<VmInfo> ActAsync(VmRef vm, VmAction action) => VmActions.InvokeAsync(Grains.GetGrain<IVmGrain>(vm.GrainKey), action);

    public virtual Task<ImageDeletion> DeleteImageAsync(string reference) => Grains.GetGrain<IImageGrain>(reference).DeleteAsync();

    /// <summary>The VM's serial console: read by offset, write keystrokes.</summary>
    public virtual IVmConsoleGrain Console(VmRef vm) => Grains.GetGrain<IVmConsoleGrain>(vm.GrainKey);

    /// <summary>Runs <paramref name="commandLine"/> with the guest's <c>/bin/sh -c</c> through its agent, to its end or <paramref name="timeout"/> (exit 124).</summary>
    public virtual Task<ExecCompleted> ExecAsync(VmRef vm, string commandLine, TimeSpan timeout, CancellationToken cancellationToken) =>
        ExecRun.RunAsync(Grains.GetGrain<IVmExecGrain>(vm.GrainKey), new ExecRequest(["/bin/sh", "-c", commandLine]), null, timeout,
            VmExecPanelLimits.MaxOutputBytes, cancellationToken);

    /// <summary>A build session for <paramref name="reference"/> (when known) on <paramref name="node"/>, or on the node
    /// the scheduler chooses, as for <c>form pack build</c>.</summary>
    public virtual async Task<ImageBuildSession> NewBuildAsync(string? reference, string? node)
    {
        var nodeId = await Grains.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).PlaceBuildAsync(new BuildPlacementRequest(reference, node, Gateway));
        return new ImageBuildSession(Grains, nodeId);
    }

    /// <summary>Subscribes to an event stream; dispose the result to unsubscribe (best effort when the connection is gone).</summary>
    public virtual async Task<IAsyncDisposable> SubscribeAsync<T>(StreamId stream, Func<T, Task> onNext)
    {
        var handle = await connector.Client.GetStreamProvider(EventStreams.Provider).GetStream<T>(stream)
            .SubscribeAsync((item, _) => onNext(item));
        return new Subscription<T>(handle);
    }

    private sealed class Subscription<T>(Orleans.Streams.StreamSubscriptionHandle<T> handle) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await handle.UnsubscribeAsync().WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception)
            {
                // The connection it belonged to is gone; so is the subscription, for the cluster's purposes.
            }
        }
    }
}
