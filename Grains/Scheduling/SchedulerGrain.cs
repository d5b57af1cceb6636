using Formation.Errors;
using Formation.Events;
using Formation.Grains.Common;
using Formation.Identity;
using Formation.Images;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Vms;
using Microsoft.Extensions.Options;

namespace Formation.Grains.Scheduling;

/// <summary>
/// The cluster's capacity authority. Reentrant so that placements can share storage writes (group commit), yet
/// never double-books: every decision and its reservation happen in one synchronous stretch before the first await.
/// Nodes and reservations are stored a row each, so a placement writes one small row. Per-account quotas are checked
/// and charged in that same stretch (<see cref="QuotaLedger"/>).
/// </summary>
[Reentrant]
public sealed partial class SchedulerGrain(
    IStateRowStore rows,
    IOptions<SchedulerOptions> options,
    IClusterMembershipService membership,
    TimeProvider clock,
    SchedulerMetrics metrics,
    ILogger<SchedulerGrain> logger) : Grain, ISchedulerGrain
{
    private readonly SchedulerOptions _options = options.Value;
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<NodeSlot> _slots = [];
    private readonly List<PlacementCandidate> _candidates = [];
    private PersistentRowMap<NodeRecord> _nodes = null!;
    private PersistentRowMap<Reservation> _reservations = null!;
    private PersistentRowMap<AccountQuota> _quotaRows = null!;
    private readonly QuotaLedger _quotas = new();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A failed write leaves memory ahead of storage: reload everything on the next call.
        _nodes = new PersistentRowMap<NodeRecord>(rows, "scheduler-nodes", this.GetPrimaryKeyString(), DeactivateOnIdle);
        _reservations = new PersistentRowMap<Reservation>(rows, "scheduler-reservations", this.GetPrimaryKeyString(), DeactivateOnIdle);
        await _nodes.LoadAsync(cancellationToken);
        await _reservations.LoadAsync(cancellationToken);
        _quotaRows = new PersistentRowMap<AccountQuota>(rows, "scheduler-quotas", this.GetPrimaryKeyString(), DeactivateOnIdle);
        await _quotaRows.LoadAsync(cancellationToken);
        foreach (var (account, quota) in _quotaRows.Items)
        {
            _quotas.SetLimits(account, quota);
        }
        var now = clock.GetUtcNow();
        foreach (var record in _nodes.Items.Values.OrderBy(n => n.Info.NodeId, StringComparer.Ordinal))
        {
            // Give every known node one timeout of grace after a scheduler (re)activation.
            var info = record.Info;
            var slot = Slot(info, now);
            if (record.Left)
            {
                slot.Health = NodeHealth.Left;
            }

            slot.Drained = record.Drained;

            Sync(slot);
        }

        foreach (var (_, reservation) in _reservations.Items)
        {
            _quotas.Charge(reservation.Account, reservation.Resources);
            Hold(reservation.NodeId, reservation.Resources, +1);
            if (reservation.MovingTo is { } target)
            {
                Hold(target, reservation.Resources, +1);
            }
        }

        // The first check runs at once: a node whose silo died with the previous activation is found without delay.
        this.RegisterGrainTimer(CheckHealthAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = _options.HealthCheckInterval,
            KeepAlive = true,
        });

        // Likewise the first audit: reservations a killed silo left behind are released as soon as they are past the grace.
        this.RegisterGrainTimer(ReconcileReservationsAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = _options.ReconcileInterval,
            KeepAlive = true,
        });
    }

    public async Task RegisterNodeAsync(NodeInfo info)
    {
        Names.RequireDnsLabel(info.NodeId, "Node id");
        var now = clock.GetUtcNow();
        var known = _index.TryGetValue(info.NodeId, out var i);
        var slot = known ? _slots[i] : Slot(info, now);
        var wasHealthy = known && slot.Health == NodeHealth.Healthy;
        slot.Info = info;
        slot.LastHeartbeat = now;
        slot.Health = NodeHealth.Healthy;
        Sync(slot);
        _nodes.Set(info.NodeId, new NodeRecord(info, Left: false, slot.Drained));
        await _nodes.FlushAsync();
        LogNodeRegistered(info.NodeId, info.Allocatable.ToString(), info.HypervisorDriver);
        if (!wasHealthy)
        {
            await PublishAsync(new NodeEvent(info.NodeId, NodeEventKind.Joined, now,
                $"{info.HostName}: {info.CpuCount} CPUs, {info.MemoryMiB} MiB, driver {info.HypervisorDriver}"));
        }
    }

    public Task HeartbeatAsync(string nodeId) => BeatAsync(nodeId, withLoad: false, null);

    public Task HeartbeatAsync(string nodeId, NodeLoad? load) => BeatAsync(nodeId, withLoad: true, load);

    private async Task BeatAsync(string nodeId, bool withLoad, NodeLoad? load)
    {
        if (!_index.TryGetValue(nodeId, out var i))
        {
            throw FormationException.NotFound($"Node '{nodeId}' is not registered; its silo must register before sending heartbeats.");
        }

        var slot = _slots[i];
        slot.LastHeartbeat = clock.GetUtcNow();
        if (withLoad)
        {
            // Kept in memory only: a figure is worth something for seconds, and the next heartbeat brings a new one.
            slot.Load = load;
            slot.LoadReceivedAt = slot.LastHeartbeat;
            Sync(slot);
        }

        if (slot.Health != NodeHealth.Healthy)
        {
            slot.Health = NodeHealth.Healthy;
            Sync(slot);
            if (_nodes.TryGetValue(nodeId, out var record) && record.Left)
            {
                _nodes.Set(nodeId, record with { Left = false });
                await _nodes.FlushAsync();
            }

            await PublishAsync(new NodeEvent(nodeId, NodeEventKind.Healthy, slot.LastHeartbeat, "heartbeats resumed"));
        }
    }

    public async Task NodeLeavingAsync(string nodeId)
    {
        if (!_index.TryGetValue(nodeId, out var i))
        {
            return;
        }

        _slots[i].Health = NodeHealth.Left;
        Sync(_slots[i]);
        _nodes.Set(nodeId, new NodeRecord(_slots[i].Info, Left: true));
        await _nodes.FlushAsync();
        await PublishAsync(new NodeEvent(nodeId, NodeEventKind.Left, clock.GetUtcNow(), "silo shut down"));
    }

    public Task<IReadOnlyList<NodeStatus>> ListNodesAsync()
    {
        var list = new NodeStatus[_slots.Count];
        for (var i = 0; i < list.Length; i++)
        {
            var s = _slots[i];
            list[i] = new NodeStatus(s.Info, s.Health, s.LastHeartbeat, s.Reserved, s.VmCount, s.Load, Drained: s.Drained);
        }

        Array.Sort(list, (a, b) => string.CompareOrdinal(a.NodeId, b.NodeId));
        return Task.FromResult<IReadOnlyList<NodeStatus>>(list);
    }

    public Task<string> PlaceAsync(PlacementRequest request)
    {
        // Both read before the placement runs: it reserves synchronously, before its first await.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var repeated = request.VmId is { } id && _reservations.TryGetValue(id, out _);
        return MeasureAsync("vm", started, repeated, PlaceVmAsync(request));
    }

    public Task<string> PlaceBuildAsync(BuildPlacementRequest request) =>
        MeasureAsync("build", System.Diagnostics.Stopwatch.GetTimestamp(), repeated: false, PlaceBuilderAsync(request));

    /// <summary>Awaits a placement begun at <paramref name="started"/> and records its outcome and duration.</summary>
    private async Task<string> MeasureAsync(string kind, long started, bool repeated, Task<string> placement)
    {
        var outcome = repeated ? "repeated" : "placed";
        try
        {
            return await placement;
        }
        catch (Exception ex)
        {
            outcome = SchedulerMetrics.Outcome(ex);
            throw;
        }
        finally
        {
            metrics.Placed(kind, outcome, started);
        }
    }

    private async Task<string> PlaceVmAsync(PlacementRequest request)
    {
        ValidateRequest(request);
        if (_reservations.TryGetValue(request.VmId, out var existing))
        {
            // A retry of the same create: its grace starts again, so the audit does not release it under the retry.
            _reservations.Set(request.VmId, existing with { ReservedAt = clock.GetUtcNow() });
            await _reservations.FlushAsync();
            return existing.NodeId;
        }

        // Decide and reserve with no await in between: this is what rules out double-booking, of nodes and of quotas.
        var owner = ChargedAccount(request);
        _quotas.RequireRoom(owner, request.Resources);
        var nodeId = PlacementPolicy.Choose(_candidates, request.Resources, request.NodeConstraint, request.PreferredNodes, request.SpreadFrom,
            clock.GetUtcNow(), _options.LoadMaxAge);
        var slot = _slots[_index[nodeId]];
        slot.Reserved += request.Resources;
        slot.VmCount++;
        Sync(slot);
        _quotas.Charge(owner, request.Resources);
        _reservations.Set(request.VmId, new Reservation(nodeId, request.Resources, clock.GetUtcNow(), owner));
        await _reservations.FlushAsync();
        return nodeId;
    }

    private async Task<string> PlaceBuilderAsync(BuildPlacementRequest request)
    {
        var holders = request is { Node: null, Reference: { } reference }
            ? (await GrainFactory.GetGrain<IImageGrain>(reference).GetStatusAsync()).Nodes
            : [];
        return BuildPlacementPolicy.Choose(await ListNodesAsync(), request, holders);
    }

    public async Task ReleaseAsync(string vmId)
    {
        // Deletes and failed creates release as the VM's owner (or an admin, or the silo); nobody frees another's room.
        if (_reservations.TryGetValue(vmId, out var held) && !CallerContext.CurrentOrSystem.MayAct(held.Account))
        {
            return;
        }

        if (Release(vmId) is not null)
        {
            await _reservations.FlushAsync();
        }
    }

    private Reservation? Release(string vmId)
    {
        if (!_reservations.Remove(vmId, out var reservation))
        {
            return null;
        }

        _quotas.Refund(reservation.Account, reservation.Resources);
        Hold(reservation.NodeId, reservation.Resources, -1);
        if (reservation.MovingTo is { } target)
        {
            Hold(target, reservation.Resources, -1);
        }

        return reservation;
    }

    /// <summary>Adds (+1) or removes (-1) one VM's resources on a node's books.</summary>
    private void Hold(string nodeId, NodeCapacity resources, int sign)
    {
        if (_index.TryGetValue(nodeId, out var i))
        {
            _slots[i].Reserved = sign > 0 ? _slots[i].Reserved + resources : _slots[i].Reserved - resources;
            _slots[i].VmCount += sign;
            Sync(_slots[i]);
        }
    }

    public async Task BeginMoveAsync(string vmId, string toNode)
    {
        var reservation = _reservations.TryGetValue(vmId, out var held) && CallerContext.CurrentOrSystem.MayAct(held.Account)
            ? held
            : throw FormationException.NotFound($"VM {vmId} holds no room on any node; only a placed VM can move.");
        if (reservation.MovingTo == toNode)
        {
            return;
        }

        if (reservation.MovingTo is { } other)
        {
            throw FormationException.Conflict($"VM {vmId} is already moving to node {other}; wait for that move to end.");
        }

        if (reservation.NodeId == toNode)
        {
            throw FormationException.Invalid($"VM {vmId} is on node {toNode} already.");
        }

        // The same checks as a placement pinned to that node (health, room, unschedulable), with no await before the hold.
        PlacementPolicy.Choose(_candidates, reservation.Resources, toNode, null, null, clock.GetUtcNow(), _options.LoadMaxAge);
        Hold(toNode, reservation.Resources, +1);
        _reservations.Set(vmId, reservation with { MovingTo = toNode, ReservedAt = clock.GetUtcNow() });
        await _reservations.FlushAsync();
    }

    public async Task SetDrainedAsync(string nodeId, bool drained)
    {
        if (!CallerContext.CurrentOrSystem.IsAdmin)
        {
            throw new FormationException(ErrorKind.PermissionDenied, "Only an admin drains or undrains a node.");
        }

        if (!_index.TryGetValue(nodeId, out var i) || !_nodes.TryGetValue(nodeId, out var record))
        {
            throw FormationException.NotFound($"there is no node '{nodeId}'; `form node list` lists the nodes.");
        }

        var slot = _slots[i];
        if (slot.Drained == drained)
        {
            return;
        }

        slot.Drained = drained;
        Sync(slot);
        _nodes.Set(nodeId, record with { Drained = drained });
        await _nodes.FlushAsync();
        LogDrained(nodeId, drained);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId}: drained {Drained}")]
    private partial void LogDrained(string nodeId, bool drained);

    public async Task EndMoveAsync(string vmId, bool moved)
    {
        if (!_reservations.TryGetValue(vmId, out var reservation) || reservation.MovingTo is not { } target ||
            !CallerContext.CurrentOrSystem.MayAct(reservation.Account))
        {
            return;
        }

        Hold(moved ? reservation.NodeId : target, reservation.Resources, -1);
        _reservations.Set(vmId, reservation with { NodeId = moved ? target : reservation.NodeId, MovingTo = null, ReservedAt = clock.GetUtcNow() });
        await _reservations.FlushAsync();
    }

    /// <summary>
    /// Releases reservations that have had no VM behind them for longer than the grace period: the catalog neither lists
    /// nor is creating the VM, and its VM grain says it does not exist. Anything uncertain (the VM's node does not
    /// answer) keeps its reservation until a later round: releasing capacity a VM uses would over-commit its node.
    /// </summary>
    private async Task ReconcileReservationsAsync(CancellationToken cancellationToken)
    {
        var due = ReservationAudit.Due(_reservations.Items, clock.GetUtcNow(), _options.ReservationGrace);
        if (due.Count == 0)
        {
            return;
        }

        IReadOnlyList<string> unknown;
        try
        {
            unknown = await GrainFactory.GetGrain<IVmCatalogGrain>(this.GetPrimaryKeyString()).FindUnknownAsync(due);
        }
        catch (Exception ex)
        {
            LogReconcileFailed(ex, "the VM catalog");
            return;
        }

        var released = 0;
        foreach (var vmId in unknown)
        {
            if (!_reservations.TryGetValue(vmId, out var reservation) ||
                clock.GetUtcNow() - reservation.ReservedAt <= _options.ReservationGrace)
            {
                continue; // released or placed again meanwhile
            }

            try
            {
                await GrainFactory.GetGrain<IVmGrain>(GrainKeys.Vm(reservation.NodeId, vmId)).GetAsync();
                continue; // the VM exists; the catalog will hear of it from its grain
            }
            catch (FormationException ex) when (ex.Kind == ErrorKind.NotFound)
            {
            }
            catch (Exception ex)
            {
                LogReconcileFailed(ex, $"VM {vmId} on node {reservation.NodeId}");
                continue;
            }

            if (_reservations.TryGetValue(vmId, out var current) && current == reservation && Release(vmId) is not null)
            {
                released++;
                LogReservationReleased(vmId, reservation.NodeId, reservation.Resources.ToString(), (int)(clock.GetUtcNow() - reservation.ReservedAt).TotalSeconds);
            }
        }

        if (released > 0)
        {
            await _reservations.FlushAsync();
        }
    }

    private static void ValidateRequest(PlacementRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.VmId))
        {
            throw FormationException.Invalid("A placement needs a VM id.");
        }

        var r = request.Resources;
        if (r.VCpus <= 0 || r.MemoryMiB <= 0 || r.DiskGiB < 0)
        {
            throw FormationException.Invalid($"A VM needs at least 1 vCPU and some memory (asked for {r}).");
        }
    }

    private async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        foreach (var slot in _slots)
        {
            var silent = now - slot.LastHeartbeat > _options.HeartbeatTimeout;
            if (slot.Health == NodeHealth.Healthy && (silent || SiloIsDead(slot.Info.NodeId)))
            {
                slot.Health = NodeHealth.Unhealthy;
                Sync(slot);
                var silence = (int)(now - slot.LastHeartbeat).TotalSeconds;
                var why = silent ? $"no heartbeat for {silence} s" : "the cluster declared its silo dead";
                LogNodeUnhealthy(slot.Info.NodeId, why);
                await PublishAsync(new NodeEvent(slot.Info.NodeId, NodeEventKind.Unhealthy, now, why));
                await GrainFactory.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).MarkNodeLostAsync(slot.Info.NodeId);
            }
        }
    }

    /// <summary>True when Orleans membership has declared this node's silo dead and no live silo has its name.</summary>
    private bool SiloIsDead(string nodeId)
    {
        var dead = false;
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Name != nodeId)
            {
                continue;
            }

            if (member.Status is SiloStatus.Active or SiloStatus.Joining or SiloStatus.Created)
            {
                return false;
            }

            dead |= member.Status == SiloStatus.Dead;
        }

        return dead;
    }

    private async Task PublishAsync(NodeEvent evt)
    {
        try
        {
            await this.GetStreamProvider(EventStreams.Provider).GetStream<NodeEvent>(EventStreams.ForNodes()).OnNextAsync(evt);
        }
        catch (Exception ex)
        {
            LogPublishFailed(ex, evt.NodeId);
        }
    }

    private NodeSlot Slot(NodeInfo info, DateTimeOffset now)
    {
        var slot = new NodeSlot { Index = _slots.Count, Info = info, LastHeartbeat = now, Health = NodeHealth.Healthy };
        _index[info.NodeId] = slot.Index;
        _slots.Add(slot);
        _candidates.Add(default);
        return slot;
    }

    private void Sync(NodeSlot slot) =>
        _candidates[slot.Index] = new PlacementCandidate(slot.Info.NodeId, slot.Info.Allocatable, slot.Reserved, slot.Health == NodeHealth.Healthy,
            slot.Load?.CpuBusy, slot.LoadReceivedAt, slot.Drained);

    private sealed class NodeSlot
    {
        public int Index { get; init; }

        public required NodeInfo Info { get; set; }

        public NodeCapacity Reserved { get; set; }

        public int VmCount { get; set; }

        public DateTimeOffset LastHeartbeat { get; set; }

        public NodeHealth Health { get; set; }

        public NodeLoad? Load { get; set; }

        public DateTimeOffset LoadReceivedAt { get; set; }

        /// <summary>An admin drained it: it keeps its VMs but takes no new ones.</summary>
        public bool Drained { get; set; }
    }
}
