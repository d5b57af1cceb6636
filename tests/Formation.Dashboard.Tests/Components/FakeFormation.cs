using Formation.Clusters;
using Formation.Dashboard.Cluster;
using Formation.Dashboard.Hosting;
using Formation.Images;
using Formation.LocalApi;
using Formation.Nodes;
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

    public Exception? Failure { get; set; }

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

    public override Task<VmDetail> GetVmAsync(string idOrName) =>
        Task.FromException<VmDetail>(Errors.FormationException.NotFound($"No VM '{idOrName}'."));

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

    private sealed class Unsubscribe(Action action) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            action();
            return ValueTask.CompletedTask;
        }
    }
}
