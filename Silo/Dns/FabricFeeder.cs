using System.Threading.Channels;
using Formation.Events;
using Formation.Networking;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Vms;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace Formation.Silo.Dns;

/// <summary>
/// Feeds the table with the fabric's names: <c>&lt;vm&gt;</c> (<c>&lt;vm&gt;.&lt;account&gt;</c>) and <c>&lt;node&gt;.node</c>,
/// and <see cref="GuestSources"/> with who holds each VM address and the nodes' addresses. Follows the cluster's VM
/// and node event streams (the ones <c>form vm events</c> and the dashboard read), so a change shows within a grain
/// call of its event, and rebuilds everything from the VM catalog and node list every
/// <see cref="DnsOptions.ResyncInterval"/>, so a missed event heals. One loop applies both, in order: a list that lags
/// the events (the catalog is updated one-way) never puts back a state an event replaced, because the newer fact about
/// a VM wins. The same owners go to the node's <see cref="Formation.Silo.Network.OverlayGuard"/>, which keeps accounts
/// apart between nodes with them.
/// </summary>
public sealed partial class FabricFeeder(
    IClusterClient client,
    DnsTable table,
    GuestSources guests,
    Formation.Silo.Network.OverlayGuard overlay,
    IOptions<DnsOptions> options,
    TimeProvider clock,
    ILogger<FabricFeeder> logger) : IAsyncDisposable
{
    public const string VmSource = "fabric-vms";
    public const string NodeSource = "fabric-nodes";

    /// <summary>A VM the catalog does not list is dropped only once the feeder's own news of it is older than this.</summary>
    private static readonly TimeSpan ListGrace = TimeSpan.FromSeconds(10);

    private readonly Channel<Work> _work = Channel.CreateBounded<Work>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<string, VmEntry> _vms = new(StringComparer.Ordinal);
    private readonly List<StreamSubscriptionHandle<VmEvent>> _vmHandles = [];
    private readonly List<StreamSubscriptionHandle<NodeEvent>> _nodeHandles = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private volatile bool _overflowed;

    /// <summary>Completed resyncs (for tests and logs).</summary>
    public int Resyncs { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var streams = client.GetStreamProvider(EventStreams.Provider);
        _vmHandles.Add(await streams.GetStream<VmEvent>(EventStreams.ForAllVms()).SubscribeAsync((e, _) => EnqueueAsync(new Work(e, false))));
        _nodeHandles.Add(await streams.GetStream<NodeEvent>(EventStreams.ForNodes()).SubscribeAsync((_, _) => EnqueueAsync(new Work(null, true))));
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        // Disposed by the silo's lifecycle and again by the container: the second time there is nothing left to end.
        foreach (var handle in _vmHandles)
        {
            await Quietly(handle.UnsubscribeAsync);
        }

        foreach (var handle in _nodeHandles)
        {
            await Quietly(handle.UnsubscribeAsync);
        }

        _vmHandles.Clear();
        _nodeHandles.Clear();
    }

    private Task EnqueueAsync(Work work)
    {
        if (!_work.Writer.TryWrite(work))
        {
            _overflowed = true; // the next turn resyncs instead
        }

        return Task.CompletedTask;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var interval = options.Value.ResyncInterval;
        var nextResync = clock.GetUtcNow();
        var batch = new List<Work>();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var untilResync = nextResync - clock.GetUtcNow();
                if (untilResync > TimeSpan.Zero)
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    wait.CancelAfter(untilResync);
                    try
                    {
                        await _work.Reader.WaitToReadAsync(wait.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                    }
                }

                batch.Clear();
                while (_work.Reader.TryRead(out var work))
                {
                    batch.Add(work);
                }

                if (clock.GetUtcNow() >= nextResync || _overflowed)
                {
                    _overflowed = false;
                    await ResyncAsync();
                    nextResync = clock.GetUtcNow() + interval;
                    continue; // the lists are at least as new as the events drained with them
                }

                await ApplyAsync(batch);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFeedFailed(ex);
                nextResync = clock.GetUtcNow() + TimeSpan.FromSeconds(1);
            }
        }
    }

    /// <summary>Applies events: each VM's latest; its address read from its grain when it comes up.</summary>
    private async Task ApplyAsync(List<Work> batch)
    {
        var latest = new Dictionary<string, VmEvent>(StringComparer.Ordinal);
        var nodes = false;
        foreach (var work in batch)
        {
            nodes |= work.Nodes;
            if (work.Vm is { } e)
            {
                latest[e.VmId] = e;
            }
        }

        var lookups = latest.Values
            .Where(e => !_vms.TryGetValue(e.VmId, out var known) || known.UpdatedAt <= e.At)
            .Select(ReadAsync)
            .ToList();
        foreach (var entry in await Task.WhenAll(lookups))
        {
            if (entry.State == VmState.Deleted)
            {
                _vms.Remove(entry.Id);
            }
            else if (!_vms.TryGetValue(entry.Id, out var known) || known.UpdatedAt <= entry.UpdatedAt)
            {
                _vms[entry.Id] = entry;
            }
        }

        await PublishVmsAsync();
        if (nodes)
        {
            await RefreshNodesAsync();
        }
    }

    /// <summary>What an event says about its VM; the grain is asked only for a VM coming up (its address).</summary>
    private async Task<VmEntry> ReadAsync(VmEvent e)
    {
        var known = _vms.GetValueOrDefault(e.VmId);
        if (!FabricRecords.Answers(e.To) || e.To == VmState.Deleted)
        {
            return new VmEntry(e.VmId, e.Name, e.NodeId, e.To, known?.Address, e.At, known?.Account ?? Formation.Identity.Caller.AdminAccount);
        }

        try
        {
            var info = await client.GetGrain<IVmGrain>(GrainKeys.Vm(e.NodeId, e.VmId)).GetAsync();
            return VmEntry.From(info);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Deleted meanwhile (NotFound), or its node is gone: what the event says, with the address known before.
            LogVmReadFailed(e.VmId, ex.Message);
            return new VmEntry(e.VmId, e.Name, e.NodeId, e.To, known?.Address, e.At, known?.Account ?? Formation.Identity.Caller.AdminAccount);
        }
    }

    private async Task ResyncAsync()
    {
        var started = clock.GetUtcNow();
        var listed = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var rows = new List<VmEntry>();
        foreach (var vm in listed)
        {
            ids.Add(vm.Id);
            rows.Add(VmEntry.From(vm));
        }

        // A row still on its way up may lag its VM (the catalog can keep the summary of a create that finished after
        // the VM already ran): those few are read from their grains.
        var transitional = rows.Where(r => r.State is VmState.Pending or VmState.Scheduled or VmState.Provisioning).ToList();
        foreach (var read in await Task.WhenAll(transitional.Select(ReadGrainAsync)))
        {
            if (read is not null)
            {
                rows[rows.FindIndex(r => r.Id == read.Id)] = read;
            }
        }

        foreach (var row in rows)
        {
            if (!_vms.TryGetValue(row.Id, out var known) || known.UpdatedAt <= row.UpdatedAt)
            {
                _vms[row.Id] = row;
            }
        }

        foreach (var gone in _vms.Values.Where(v => !ids.Contains(v.Id) && v.UpdatedAt < started - ListGrace).Select(v => v.Id).ToList())
        {
            _vms.Remove(gone);
        }

        await PublishVmsAsync();
        await RefreshNodesAsync();
        Resyncs++;
    }

    private async Task<VmEntry?> ReadGrainAsync(VmEntry row)
    {
        try
        {
            return VmEntry.From(await client.GetGrain<IVmGrain>(GrainKeys.Vm(row.NodeId, row.Id)).GetAsync());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogVmReadFailed(row.Id, ex.Message);
            return null;
        }
    }

    private async Task RefreshNodesAsync()
    {
        var nodes = await client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
        table.Replace(NodeSource, FabricRecords.Nodes(nodes));
        var subnets = new List<Ipv4Subnet>();
        foreach (var node in nodes)
        {
            if (node.Info.Mesh is { } mesh && Ipv4Subnet.TryParse(mesh.Subnet, out var subnet))
            {
                subnets.Add(subnet);
            }
        }

        guests.SetSubnets(subnets);
        guests.SetNodes(FabricRecords.NodeAddresses(nodes));
    }

    // Owners before names: a guest never sees a name of its account before the server knows it is that account's.
    // The overlay guard last: when nft fails, names are still served and the loop's retry (a resync in 1 s) loads it.
    private async Task PublishVmsAsync()
    {
        var owners = FabricRecords.Owners(_vms.Values);
        guests.SetOwners(owners);
        table.Replace(VmSource, FabricRecords.Vms(_vms.Values));
        await overlay.SetOwnersAsync(owners, _stopping.Token);
    }

    private static async Task Quietly(Func<Task> unsubscribe)
    {
        try
        {
            // UnsubscribeAsync can throw before it returns a task (a handle already used): both count as "gone".
            await unsubscribe().WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception)
        {
            // the silo is stopping; the subscription goes with it
        }
    }

    private readonly record struct Work(VmEvent? Vm, bool Nodes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DNS: reading the fabric's VMs and nodes failed; retrying in 1 s")]
    private partial void LogFeedFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Debug, Message = "DNS: could not read VM {VmId} after its event: {Reason}")]
    private partial void LogVmReadFailed(string vmId, string reason);
}
