using Formation.Metrics;
using Formation.Nodes;
using Formation.Silo.Nodes;
using Formation.Silo.Vms;
using Formation.Vms;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Metrics;

/// <summary>
/// Samples the node and its VMs every <see cref="MetricsOptions.Interval"/>: keeps the last sample for the exported
/// instruments (<see cref="MetricsInstruments"/>) and the last hour in memory for <see cref="INodeMetricsGrain"/>. A VM
/// the host no longer holds is dropped from both.
/// </summary>
public sealed partial class MetricsCollector : IMetricsSource, ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    /// <summary>Interfaces left out of the node's network totals: loopback, and the VM bridge and TAPs (they carry VM traffic twice).</summary>
    private static readonly string[] InternalPrefixes = ["fbr", "ft"];

    private readonly INodeVmHost _host;
    private readonly LocalNode _node;
    private readonly MetricsOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<MetricsCollector> _logger;
    private readonly MetricsWarnings _warnings;
    private readonly NodeSampler _nodeSampler;
    private readonly VmSampler _vmSampler;
    private readonly Lock _gate = new();
    private readonly Ring<NodeMetricsPoint> _history;
    private readonly Dictionary<string, VmTrack> _vms = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private NodeSample? _previous;
    private DateTimeOffset? _firstAt;
    private MetricsInstruments? _instruments;
    private int _disposed;

    public MetricsCollector(INodeVmHost host, LocalNode node, NodePaths paths, IOptions<MetricsOptions> options, MetricsWarnings warnings,
        TimeProvider clock, ILogger<MetricsCollector> logger)
    {
        _host = host;
        _node = node;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
        _warnings = warnings;
        _nodeSampler = new NodeSampler(paths.DataDirectory, warnings);
        _vmSampler = new VmSampler(warnings);
        _history = new Ring<NodeMetricsPoint>(_options.HistoryPoints);
    }

    /// <summary>The last sample, or null before the first.</summary>
    public MetricsSnapshot? Latest { get; private set; }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(MetricsCollector), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    /// <summary>Takes one sample now (the loop calls it every interval).</summary>
    public void Sample()
    {
        var at = _clock.GetUtcNow();
        var node = _nodeSampler.Sample(at, File.ReadAllText("/proc/net/dev"));
        var interfaces = node.Interfaces.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var census = _host.Census();
        var readings = census.Select(vm => (vm, reading: _vmSampler.Read(vm, interfaces))).ToList();
        var point = NodePoint(node, census);
        lock (_gate)
        {
            foreach (var (vm, reading) in readings)
            {
                if (!_vms.TryGetValue(vm.VmId, out var track))
                {
                    _vms[vm.VmId] = track = new VmTrack(vm, _options.HistoryPoints);
                }

                track.Add(at, vm, reading);
            }

            var present = census.Select(v => v.VmId).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in _vms.Keys.Where(id => !present.Contains(id)).ToList())
            {
                _vms.Remove(gone);
            }

            _history.Add(point);
            _firstAt ??= at;
            Latest = new MetricsSnapshot(node, CpuShares(node), CountByState(census), Reserved(census), _node.Info.Allocatable,
                [.. _vms.Values.Select(t => t.Snapshot)]);
            _previous = node;
        }
    }

    public NodeMetrics Node(int count)
    {
        lock (_gate)
        {
            return new NodeMetrics(_node.Identity.NodeId, _options.Interval, _history.Last(count));
        }
    }

    public NodeLoad? Load()
    {
        lock (_gate)
        {
            // The first sample has no interval before it, so its CPU share is no measurement: only later ones count.
            if (_firstAt is not { } first)
            {
                return null;
            }

            var now = _clock.GetUtcNow();
            var since = now - NodeLoad.Window;
            var points = _history.Last((int)Math.Ceiling(NodeLoad.Window / _options.Interval) + 1);
            return NodeLoad.Average(points, since > first ? since : first, now);
        }
    }

    public IReadOnlyList<VmMetrics> Vms(int count)
    {
        lock (_gate)
        {
            return [.. _vms.Values.Select(t => t.History(_node.Identity.NodeId, count)).OrderBy(v => v.Name, StringComparer.Ordinal)];
        }
    }

    public VmMetrics? Vm(string vmId, int count)
    {
        lock (_gate)
        {
            return _vms.TryGetValue(vmId, out var track) ? track.History(_node.Identity.NodeId, count) : null;
        }
    }

    /// <summary>Idempotent: the container disposes the collector once for each service it is registered as.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _instruments?.Dispose();
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _instruments ??= new MetricsInstruments(this, _node);
        _loop = Task.Run(() => LoopAsync(_stopping.Token));
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loop;
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.Interval, _clock);
        do
        {
            try
            {
                Sample();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
            {
                if (_warnings.Once("sample-" + ex.GetType().Name, $"a sample failed and is skipped: {ex.Message}"))
                {
                    LogSampleFailed(ex);
                }
            }
        }
        while (await Tick(timer, cancellationToken));
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private NodeMetricsPoint NodePoint(NodeSample node, IReadOnlyList<VmCensusEntry> census)
    {
        double busy = 0, read = 0, write = 0, rx = 0, tx = 0;
        if (_previous is { } before && (node.At - before.At).TotalSeconds is var seconds and > 0)
        {
            var total = node.Cpu.Total - before.Cpu.Total;
            busy = total > 0 ? Math.Clamp((node.Cpu.Busy - before.Cpu.Busy) / total, 0, 1) : 0;
            if (node.Disk is { } d && before.Disk is { } b)
            {
                read = Math.Max(0, d.ReadBytes - b.ReadBytes) / seconds;
                write = Math.Max(0, d.WriteBytes - b.WriteBytes) / seconds;
            }

            var earlier = before.Interfaces.ToDictionary(i => i.Name, StringComparer.Ordinal);
            foreach (var i in node.Interfaces.Where(IsExternal))
            {
                if (earlier.TryGetValue(i.Name, out var e))
                {
                    rx += Math.Max(0, i.ReceiveBytes - e.ReceiveBytes) / seconds;
                    tx += Math.Max(0, i.TransmitBytes - e.TransmitBytes) / seconds;
                }
            }
        }

        return new NodeMetricsPoint(node.At, busy, node.CpuCount, node.Load.One, node.Memory.Used, node.Memory.Total,
            node.Filesystem.Used, node.Filesystem.Total, read, write, rx, tx, census.Count(v => v.State == VmState.Running), census.Count);
    }

    private static bool IsExternal(InterfaceCounters i) =>
        i.Name != "lo" && !InternalPrefixes.Any(p => i.Name.StartsWith(p, StringComparison.Ordinal));

    private Dictionary<string, double> CpuShares(NodeSample node)
    {
        var shares = new Dictionary<string, double>(StringComparer.Ordinal);
        if (_previous is not { } before || node.Cpu.Total - before.Cpu.Total <= 0)
        {
            return shares;
        }

        var total = node.Cpu.Total - before.Cpu.Total;
        var earlier = before.Cpu.Modes().ToDictionary(m => m.Mode, m => m.Seconds, StringComparer.Ordinal);
        foreach (var (mode, seconds) in node.Cpu.Modes())
        {
            shares[mode] = Math.Clamp((seconds - earlier[mode]) / total, 0, 1);
        }

        return shares;
    }

    private static Dictionary<VmState, int> CountByState(IReadOnlyList<VmCensusEntry> census)
    {
        var counts = Enum.GetValues<VmState>().ToDictionary(s => s, _ => 0);
        foreach (var vm in census)
        {
            counts[vm.State]++;
        }

        return counts;
    }

    /// <summary>What the VMs the host holds reserve (a deleting VM no longer does).</summary>
    private static NodeCapacity Reserved(IReadOnlyList<VmCensusEntry> census) =>
        census.Where(v => v.State is not (VmState.Deleting or VmState.Deleted))
            .Aggregate(NodeCapacity.Zero, (sum, v) => sum + new NodeCapacity(v.VCpus, v.MemoryMiB, v.DiskGiB));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metrics: sampling failed")]
    private partial void LogSampleFailed(Exception ex);
}
