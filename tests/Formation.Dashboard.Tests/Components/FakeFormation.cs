using Formation.Clusters;
using Formation.Dashboard.Cluster;
using Formation.Dashboard.Hosting;
using Formation.Edge;
using Formation.Images;
using Formation.LocalApi;
using Formation.Metrics;
using Formation.Nodes;
using Formation.Services;
using Formation.Vms;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Dashboard.Tests.Components;

/// <summary>
/// The pages' service with the cluster replaced by lists, for component tests (the real service is exercised by the
/// browser tests against real silos). Events are pushed with <see cref="PublishAsync{T}"/>.
/// </summary>
public sealed class FakeFormation() : FormationService(Connector)
{
    public static readonly ClusterConnector Connector = new(new DashboardOptions(), NullLogger<ClusterConnector>.Instance);

    private readonly List<(StreamId Stream, Func<object, Task> OnNext)> _subscribers = [];

    public List<VmSummary> Vms { get; } = [];

    public List<NodeStatus> Nodes { get; } = [];

    public List<VmSpec> Created { get; } = [];

    public Dictionary<string, ServiceInfo> ServiceList { get; } = [];

    public List<EdgeRoute> RouteList { get; } = [];

    public List<EdgeTcpRoute> TcpRouteList { get; } = [];

    /// <summary>Scale calls the page made: (service, replicas).</summary>
    public List<(string Name, int Replicas)> Scaled { get; } = [];

    /// <summary>What the cluster answers to a scale, rollback or delete, when set.</summary>
    public Exception? ServiceFailure { get; set; }

    public Exception? Failure { get; set; }

    /// <summary>Each node's metrics history; a node without one answers as a node with metrics off does.</summary>
    public Dictionary<string, NodeMetrics> NodeHistory { get; } = [];

    /// <summary>Each VM's history by VM id; a VM without one answers NotFound, as before its node's first sample of it.</summary>
    public Dictionary<string, VmMetrics> VmHistory { get; } = [];

    /// <summary>What <see cref="GetVmAsync"/> answers, by id.</summary>
    public Dictionary<string, VmDetail> VmDetails { get; } = [];

    public Exception? CreateFailure { get; set; }

    /// <summary>How many times the VM list was read.</summary>
    public int VmListReads => _vmListReads;

    private int _vmListReads;

    public override Task<IReadOnlyList<VmSummary>> ListVmsAsync()
    {
        Interlocked.Increment(ref _vmListReads);
        return Failure is { } f ? Task.FromException<IReadOnlyList<VmSummary>>(f) : Task.FromResult<IReadOnlyList<VmSummary>>([.. Vms]);
    }

    public override Task<IReadOnlyList<NodeStatus>> ListNodesAsync() => Task.FromResult<IReadOnlyList<NodeStatus>>([.. Nodes]);

    public override Task<IReadOnlyList<ImageStatus>> ListImagesAsync() => Task.FromResult<IReadOnlyList<ImageStatus>>([]);

    public override Task<ClusterOverview> OverviewAsync() => Task.FromResult(ClusterOverview.From([], Nodes, Vms));

    public override Task<IReadOnlyList<VmEvent>> RecentVmEventsAsync(int vms) => Task.FromResult<IReadOnlyList<VmEvent>>([]);

    public override Task<VmDetail> GetVmAsync(string idOrName) => VmDetails.TryGetValue(idOrName, out var detail)
        ? Task.FromResult(detail)
        : Task.FromException<VmDetail>(Errors.FormationException.NotFound($"No VM '{idOrName}'."));

    public override Task<IReadOnlyList<MetricsReads.NodeTop>> NodeTopsAsync() => Task.FromResult<IReadOnlyList<MetricsReads.NodeTop>>(
        [.. Nodes.Select(n => new MetricsReads.NodeTop(n, n.Health == NodeHealth.Healthy ? NodeHistory.GetValueOrDefault(n.NodeId)?.Latest : null))]);

    public override Task<NodeMetrics> NodeMetricsAsync(string nodeId, int count = 0) => NodeHistory.TryGetValue(nodeId, out var history)
        ? Task.FromResult(history with { Points = count <= 0 ? history.Points : [.. history.Points.TakeLast(count)] })
        : Task.FromException<NodeMetrics>(new Errors.FormationException(Errors.ErrorKind.NodeUnavailable,
            $"node '{nodeId}' collects no metrics (Formation:Metrics:Collect is false)."));

    public override Task<VmMetrics> VmMetricsAsync(VmRef vm, int count = 0) => VmHistory.TryGetValue(vm.Id, out var history)
        ? Task.FromResult(history)
        : Task.FromException<VmMetrics>(Errors.FormationException.NotFound($"node '{vm.NodeId}' has no metrics for VM {vm.Id}."));

    public override Task<VmInfo> CreateVmAsync(VmSpec spec)
    {
        VmSpecRules.Validate(spec);
        if (CreateFailure is { } failure)
        {
            return Task.FromException<VmInfo>(failure);
        }

        Created.Add(spec);
        return Task.FromResult(new VmInfo("vm-new", "node-a", spec, VmState.Provisioning, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null, "sim"));
    }

    public override Task<IReadOnlyList<ServiceSummary>> ListServicesAsync() =>
        Task.FromResult<IReadOnlyList<ServiceSummary>>([.. ServiceList.Values.OrderBy(s => s.Name).Select(s => s.ToSummary())]);

    public override Task<ServiceInfo> GetServiceAsync(string name) => ServiceList.TryGetValue(name, out var service)
        ? Task.FromResult(service)
        : Task.FromException<ServiceInfo>(Errors.FormationException.NotFound($"No service '{name}'."));

    public override async Task<ServiceInfo> ScaleServiceAsync(string name, int replicas)
    {
        ServiceRules.RequireReplicas(replicas);
        if (ServiceFailure is { } failure)
        {
            throw failure;
        }

        Scaled.Add((name, replicas));
        return ServiceList[name] = (await GetServiceAsync(name)) with { Replicas = replicas, Rollout = RolloutState.Rolling };
    }

    public override Task<IReadOnlyList<EdgeRoute>> ListRoutesAsync() => Task.FromResult<IReadOnlyList<EdgeRoute>>([.. RouteList]);

    public List<Formation.Audit.AuditEntry> AuditRows { get; } = [];

    /// <summary>What the cluster answers to an audit read, when set (e.g. a member's PermissionDenied).</summary>
    public Exception? AuditFailure { get; set; }

    public override Task<IReadOnlyList<Formation.Audit.AuditEntry>> ReadAuditAsync(Formation.Audit.AuditQuery query) => AuditFailure is { } failure
        ? Task.FromException<IReadOnlyList<Formation.Audit.AuditEntry>>(failure)
        : Task.FromResult<IReadOnlyList<Formation.Audit.AuditEntry>>([.. AuditRows.TakeLast(query.Limit)]);

    /// <summary>The command lines run through <see cref="ExecAsync"/>, and what it answers (or throws) for them.</summary>
    public List<string> Executed { get; } = [];

    public Func<string, ExecCompleted> ExecAnswer { get; set; } = line => throw Formation.Errors.FormationException.NotFound("no VM named x");

    public override Task<ExecCompleted> ExecAsync(VmRef vm, string commandLine, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Executed.Add(commandLine);
        try
        {
            return Task.FromResult(ExecAnswer(commandLine));
        }
        catch (Exception ex)
        {
            return Task.FromException<ExecCompleted>(ex);
        }
    }

    public override Task<IReadOnlyList<EdgeTcpRoute>> ListTcpRoutesAsync() => Task.FromResult<IReadOnlyList<EdgeTcpRoute>>([.. TcpRouteList]);

    public override Task<IAsyncDisposable> SubscribeAsync<T>(StreamId stream, Func<T, Task> onNext)
    {
        var entry = (stream, (Func<object, Task>)(item => onNext((T)item)));
        lock (_subscribers)
        {
            _subscribers.Add(entry);
        }

        return Task.FromResult<IAsyncDisposable>(new Unsubscribe(() =>
        {
            lock (_subscribers)
            {
                _subscribers.Remove(entry);
            }
        }));
    }

    /// <summary>Delivers <paramref name="item"/> to the subscribers of <paramref name="stream"/>, as a stream would.</summary>
    public async Task PublishAsync<T>(StreamId stream, T item)
    {
        List<Func<object, Task>> targets;
        lock (_subscribers)
        {
            targets = [.. _subscribers.Where(s => s.Stream == stream).Select(s => s.OnNext)];
        }

        foreach (var target in targets)
        {
            await target(item!);
        }
    }

    public static VmSummary Vm(string id, string name, VmState state) =>
        new(id, name, "node-a", state, 1, 512, 10, null, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(-5));

    /// <summary>A service of <paramref name="replicas"/> running replicas of revision 1 (named NAME-1…).</summary>
    public static ServiceInfo Service(string name, int replicas, RolloutState rollout = RolloutState.Steady, string? message = null)
    {
        var template = new VmSpec(name + "-1", 1, 512, 10, "web:latest", null, ImageDigest: "sha256:" + new string('a', 64));
        var list = Enumerable.Range(1, replicas)
            .Select(i => new ServiceReplica($"vm-{name}-{i}", $"{name}-{i}", "node-a", 1, VmState.Running, $"10.80.0.{i + 1}"))
            .ToList();
        return new ServiceInfo(name, replicas, 1, rollout, message, list, [new ServiceRevision(1, template, DateTimeOffset.UtcNow.AddHours(-1))],
            DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow);
    }

    /// <summary>A healthy node with 4 CPUs and 8 GiB.</summary>
    public static NodeStatus Node(string id, NodeHealth health = NodeHealth.Healthy) =>
        new(new NodeInfo(id, id, 4, 8192, 100, false, "-", "sim", "-", "127.0.0.1:11111", "127.0.0.1:30000", new NodeCapacity(4, 8192, 100),
            DateTimeOffset.UtcNow.AddHours(-1), "test"), health, DateTimeOffset.UtcNow, new NodeCapacity(1, 512, 10), 1);

    /// <summary><paramref name="count"/> node samples <paramref name="interval"/> apart, the last one now; sample i is i×10% busy.</summary>
    public static NodeMetrics NodeHistoryOf(string nodeId, int count, TimeSpan interval)
    {
        var now = DateTimeOffset.UtcNow;
        return new NodeMetrics(nodeId, interval, [.. Enumerable.Range(0, count).Select(i => NodeSample(now - (count - 1 - i) * interval, i * 0.1))]);
    }

    /// <summary>A node sample: 4 CPUs <paramref name="busy"/>, 2 of 8 GiB used, 1 KiB/s in and 2 KiB/s out, 4 KiB/s read.</summary>
    public static NodeMetricsPoint NodeSample(DateTimeOffset at, double busy) =>
        new(at, busy, 4, 0.5, 2L << 30, 8L << 30, 10L << 30, 100L << 30, 4096, 0, 1024, 2048, 1, 1);

    private sealed class Unsubscribe(Action action) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            action();
            return ValueTask.CompletedTask;
        }
    }
}
