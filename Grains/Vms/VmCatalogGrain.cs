using Formation.Errors;
using Formation.Events;
using Formation.Grains.Common;
using Formation.Grains.Images;
using Formation.Grains.Snapshots;
using Formation.Identity;
using Formation.Images;
using Formation.Ownership;
using Formation.Scheduling;
using Formation.Snapshots;
using Formation.Vms;
using Microsoft.Extensions.Options;

namespace Formation.Grains.Vms;

/// <summary>
/// The cluster's VM list and the entry point for creating VMs. Reentrant: name reservation happens synchronously,
/// placement and creation run concurrently, and summary updates share storage writes (a row per VM).
/// Every VM belongs to an account (<see cref="VmOwners"/>): names are unique per account, and listing and resolving
/// show a caller only what it may act on, so another account's VM looks exactly like a missing one.
/// </summary>
[Reentrant]
public sealed partial class VmCatalogGrain(
    IStateRowStore rows,
    TimeProvider clock,
    IOptions<VmCatalogTestHooks> hooks,
    ILogger<VmCatalogGrain> logger) : Grain, IVmCatalogGrain
{
    // Keyed by OwnedName.Key (account/name): equal names in two accounts are two VMs.
    private readonly Dictionary<string, string> _idByName = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pendingNames = new(StringComparer.Ordinal);

    // VMs between their placement and their row here: the scheduler's audit must not take them for leaked reservations.
    private readonly HashSet<string> _creating = new(StringComparer.Ordinal);

    // Creates with a request id still running, by VM id: a retry that arrives meanwhile waits for the first attempt.
    private readonly Dictionary<string, (VmSpec Spec, Task<VmInfo> Creating)> _inFlight = new(StringComparer.Ordinal);

    // VM grains send their summaries one-way, so a "Deleting" can arrive after the "Deleted" that removed the row and
    // would bring the VM back as a ghost. VM ids are never reused: remember the newest deleted ones and ignore late news.
    private readonly HashSet<string> _deleted = new(StringComparer.Ordinal);
    private readonly Queue<string> _deletedOrder = new();
    private PersistentRowMap<VmSummary> _vms = null!;

    private IReadOnlyDictionary<string, VmSummary> Vms => _vms.Items;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _vms = new PersistentRowMap<VmSummary>(rows, "vm-catalog", this.GetPrimaryKeyString(), DeactivateOnIdle);
        await _vms.LoadAsync(cancellationToken);
        foreach (var vm in Vms.Values)
        {
            _idByName[NameKey(vm)] = vm.Id;
        }
    }

    public async Task<VmInfo> CreateVmAsync(VmSpec spec)
    {
        if (spec.FromSnapshot is not null)
        {
            spec = await PlanCloneAsync(spec);
        }

        VmSpecRules.Validate(spec);
        var owner = VmOwners.ForNew(CallerContext.CurrentOrSystem, spec);
        var vmId = spec.RequestId is { } requestId ? VmIds.ForRequest(RequestScope(owner, requestId), spec.Name) : VmIds.New();
        if (spec.RequestId is not null && await RepeatedRequestAsync(vmId, spec, owner) is { } repeated)
        {
            return await repeated;
        }

        var nameKey = new OwnedName(owner, spec.Name).Key;
        if (_idByName.ContainsKey(nameKey) || !_pendingNames.Add(nameKey))
        {
            throw FormationException.Conflict($"A VM named '{spec.Name}' already exists. Pick another name or delete it first.");
        }

        var creating = CreateNewAsync(spec, vmId, owner);
        if (spec.RequestId is not null)
        {
            _inFlight[vmId] = (spec, creating);
        }

        try
        {
            return await creating;
        }
        finally
        {
            _pendingNames.Remove(nameKey);
            _inFlight.Remove(vmId);
        }
    }

    /// <summary>
    /// A retry of a create this catalog has seen (same request id and name): the first attempt's outcome, whether it is
    /// still running or done. Null for a request seen for the first time. The same request id with another spec is refused.
    /// </summary>
    private async Task<Task<VmInfo>?> RepeatedRequestAsync(string vmId, VmSpec spec, string owner)
    {
        if (_inFlight.TryGetValue(vmId, out var running))
        {
            return SameRequest(running.Spec, spec) ? running.Creating : throw RequestReused(spec);
        }

        if (_deleted.Contains(vmId))
        {
            throw FormationException.Conflict(
                $"The VM that request '{spec.RequestId}' created ('{spec.Name}', {vmId}) has been deleted since. Use a new request id to create another.");
        }

        if (!Vms.TryGetValue(vmId, out var existing))
        {
            return null;
        }

        if (existing.Account != owner)
        {
            throw RequestReused(spec); // request ids are scoped per account, so this takes a hash collision; never show the other VM
        }

        var info = await GrainFactory.GetGrain<IVmGrain>(GrainKeys.Vm(existing.NodeId, vmId)).GetAsync();
        return SameRequest(info.Spec, spec) ? Task.FromResult(info) : throw RequestReused(spec);
    }

    // The stored spec carries the image digest resolved at the first attempt; the retry's does not.
    private static bool SameRequest(VmSpec first, VmSpec retry) => first with { ImageDigest = null } == retry with { ImageDigest = null };

    private static FormationException RequestReused(VmSpec spec) => FormationException.Conflict(
        $"Request id '{spec.RequestId}' was already used to create '{spec.Name}' with a different spec. Use a new request id for a new VM.");

    /// <summary>A clone's spec: its snapshot found among every node's (it runs on that node, with that size and image).</summary>
    private async Task<VmSpec> PlanCloneAsync(VmSpec spec)
    {
        var nodes = await GrainFactory.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
        var lists = await Task.WhenAll(nodes.Select(n => SnapshotsOfAsync(n.NodeId)));
        return SnapshotClones.Plan(spec, [.. lists.SelectMany(l => l)], [.. nodes.Select(n => n.Info)]);
    }

    // A node that does not answer holds no snapshot a clone could start from now.
    private async Task<IReadOnlyList<SnapshotInfo>> SnapshotsOfAsync(string nodeId)
    {
        try
        {
            return await GrainFactory.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore(nodeId)).ListAsync(null);
        }
        catch (Exception ex) when (ex is not FormationException)
        {
            return [];
        }
    }

    /// <summary>
    /// Request ids are the client's: two accounts may pick the same one. The admin account keeps its ids unscoped so a
    /// retry of a create made before accounts existed still finds its VM.
    /// </summary>
    private static string RequestScope(string owner, string requestId) =>
        owner == Caller.AdminAccount ? requestId : owner + OwnedName.Separator + requestId;

    private async Task<VmInfo> CreateNewAsync(VmSpec spec, string vmId, string owner)
    {
        _creating.Add(vmId);
        try
        {
            return await PlaceAndCreateAsync(spec, vmId, owner);
        }
        finally
        {
            _creating.Remove(vmId);
        }
    }

    private async Task<VmInfo> PlaceAndCreateAsync(VmSpec spec, string vmId, string owner)
    {
        // Any node with room can run it: a node without the image fetches it (VmGrain) from one of these holders.
        IReadOnlyList<string>? imageNodes = null;
        if (spec.Image is { } image)
        {
            (var digest, imageNodes) = await RequireImageAsync(image, ImageNames.InAccount(owner, image), spec.ImageDigest);
            spec = spec with { ImageDigest = digest };
        }

        var scheduler = GrainFactory.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
        var nodeId = await scheduler.PlaceAsync(new PlacementRequest(vmId, spec.Resources, spec.NodeConstraint, imageNodes, ReplicaNodes(spec.Service), owner));
        if (hooks.Value.HoldCreateAfterPlacement)
        {
            LogHeldForTests(vmId, nodeId);
            await Task.Delay(Timeout.InfiniteTimeSpan); // until the test kills this silo
        }

        VmInfo info;
        try
        {
            info = await GrainFactory.GetGrain<IVmGrain>(GrainKeys.Vm(nodeId, vmId)).CreateAsync(spec);
        }
        catch (FormationException ex) when (ex.Kind == ErrorKind.Conflict)
        {
            throw; // the VM grain holds another VM under this id: its reservation is not ours to release
        }
        catch
        {
            await scheduler.ReleaseAsync(vmId);
            throw;
        }

        // This catalog is reentrant: the VM's own summaries (Running, for a VM that boots at once) may have arrived while
        // the create finished, and are newer than the state the create returned. A deletion may have come too. The same
        // row as the VM's own summary is not set again (a second write of it); the flush below still waits for its write.
        var summary = info.ToSummary();
        if (!_deleted.Contains(vmId) && !(Vms.TryGetValue(vmId, out var newer) && (newer.UpdatedAt > summary.UpdatedAt || newer == summary)))
        {
            Upsert(summary);
        }

        await _vms.FlushAsync();
        LogCreated(vmId, spec.Name, nodeId);
        return info;
    }

    /// <summary>The VMs the caller may act on: a member's own, every account's for an admin (and the silo).</summary>
    public Task<IReadOnlyList<VmSummary>> ListAsync()
    {
        var caller = CallerContext.CurrentOrSystem;
        var list = Vms.Values.Where(v => caller.MayAct(v.Account)).ToArray();
        Array.Sort(list, static (a, b) => string.CompareOrdinal(a.Name, b.Name) is var byName and not 0 ? byName : string.CompareOrdinal(a.Account, b.Account));
        return Task.FromResult<IReadOnlyList<VmSummary>>(list);
    }

    /// <summary>A service's replicas: VMs that name it and belong to its owner (a VM of another account cannot join it).</summary>
    public Task<IReadOnlyList<VmSummary>> ListServiceAsync(string service)
    {
        var caller = CallerContext.CurrentOrSystem;
        var owner = OwnedName.FromStored(service).Account;
        return Task.FromResult<IReadOnlyList<VmSummary>>(caller.MayAct(owner)
            ? [.. Vms.Values.Where(v => v.Service == service && v.Account == owner)]
            : []);
    }

    /// <summary>
    /// Finds a VM by id, by name in the caller's account, or (admins) by <c>ACCOUNT/NAME</c>. The one place VM access
    /// is decided for callers that come by name or id: a VM the caller may not act on is reported missing, word for word.
    /// </summary>
    public Task<VmRef> ResolveAsync(string idOrName)
    {
        var caller = CallerContext.CurrentOrSystem;
        if (Vms.TryGetValue(idOrName, out var byId) ||
            (_idByName.TryGetValue(OwnedName.Parse(idOrName, caller).Key, out var id) && Vms.TryGetValue(id, out byId)))
        {
            if (caller.MayAct(byId.Account))
            {
                return Task.FromResult(new VmRef(byId.Id, byId.NodeId));
            }
        }

        throw VmOwners.NotFound(idOrName);
    }

    public async Task UpdateAsync(VmSummary summary)
    {
        // VM grains publish in the context of the call that changed the VM (its owner, an admin or the silo): a caller
        // that may not act on the row it would change, or on the account it claims, changes nothing.
        var caller = CallerContext.CurrentOrSystem;
        if (!caller.MayAct(summary.Account) || (Vms.TryGetValue(summary.Id, out var row) && !caller.MayAct(row.Account)))
        {
            return;
        }

        if (Vms.TryGetValue(summary.Id, out var listed) && listed.NodeId != summary.NodeId)
        {
            return; // from the grain on a node the VM is not on (it migrated away, or a migration there was undone)
        }

        if (summary.State == VmState.Deleted)
        {
            if (_vms.Remove(summary.Id, out var old))
            {
                _idByName.Remove(NameKey(old));
            }

            RememberDeleted(summary.Id);
        }
        else if (_deleted.Contains(summary.Id))
        {
            return; // news from before the deletion, overtaken by it
        }
        else if (Vms.TryGetValue(summary.Id, out var current) && current.UpdatedAt > summary.UpdatedAt && current.State != VmState.Lost)
        {
            return; // an older update arrived late
        }
        else
        {
            Upsert(summary);
        }

        await _vms.FlushAsync();
    }

    public Task<IReadOnlyList<string>> FindUnknownAsync(IReadOnlyList<string> vmIds)
    {
        var unknown = new List<string>();
        foreach (var vmId in vmIds)
        {
            if (!Vms.ContainsKey(vmId) && !_creating.Contains(vmId))
            {
                unknown.Add(vmId);
            }
        }

        return Task.FromResult<IReadOnlyList<string>>(unknown);
    }

    public async Task MarkNodeLostAsync(string nodeId)
    {
        if (!CallerContext.CurrentOrSystem.IsAdmin)
        {
            throw new FormationException(ErrorKind.PermissionDenied, "Only the scheduler marks a node's VMs lost.");
        }

        var now = clock.GetUtcNow();
        var lost = new List<VmEvent>();
        foreach (var vm in Vms.Values.ToArray())
        {
            if (vm.NodeId == nodeId && VmTransitions.IsAllowed(vm.State, VmState.Lost))
            {
                _vms.Set(vm.Id, vm with { State = VmState.Lost, UpdatedAt = now });
                lost.Add(new VmEvent(vm.Id, vm.Name, nodeId, vm.State, VmState.Lost, now, $"node {nodeId} stopped sending heartbeats"));
            }
        }

        if (lost.Count == 0)
        {
            return;
        }

        await _vms.FlushAsync();
        var stream = this.GetStreamProvider(EventStreams.Provider).GetStream<VmEvent>(EventStreams.ForAllVms());
        foreach (var evt in lost)
        {
            await stream.OnNextAsync(evt);
            await this.GetStreamProvider(EventStreams.Provider).GetStream<VmEvent>(EventStreams.ForVm(evt.VmId)).OnNextAsync(evt);
        }

        LogNodeLost(nodeId, lost.Count);
    }

    /// <summary>The nodes that run a replica of <paramref name="service"/> now (null for a plain VM).</summary>
    private List<string>? ReplicaNodes(string? service) => service is null
        ? null
        : [.. Vms.Values.Where(v => v.Service == service && v.Account == OwnedName.FromStored(service).Account && v.State is not (VmState.Deleting or VmState.Deleted)).Select(v => v.NodeId).Distinct()];

    /// <summary>
    /// The digest a new VM boots and the nodes that hold it: the image's current version, or the version the spec pins
    /// (a service's older revision) as long as some node still holds it.
    /// </summary>
    /// <remarks>
    /// <paramref name="image"/> is what the spec says (for messages), <paramref name="owned"/> the same read in the VM
    /// owner's account: a member's VM boots only its own account's images; another's answers as a missing one.
    /// </remarks>
    private async Task<(string Digest, IReadOnlyList<string> Nodes)> RequireImageAsync(string image, string owned, string? pinned)
    {
        var status = await RequireImageAsync(image, owned);
        if (pinned is null || pinned == status.Digest)
        {
            return (status.Digest!, status.Nodes);
        }

        var holders = await GrainFactory.GetGrain<IImageRecordGrain>(status.RecordKey()).HoldersAsync(pinned);
        return holders.Count > 0
            ? (pinned, holders)
            : throw FormationException.NotFound(
                $"Version {ImageReference.Short(pinned)} of image '{image}' is no longer stored on any node; deploy the current version or build it again.");
    }

    private async Task<ImageStatus> RequireImageAsync(string image, string owned)
    {
        var status = await GrainFactory.GetGrain<IImageGrain>(owned).GetStatusAsync();
        if (status.State == ImageBuildState.Ready && status.Digest is not null)
        {
            return status;
        }

        if (status.State != ImageBuildState.Ready)
        {
            throw FormationException.NotFound(status.State switch
            {
                ImageBuildState.Building => $"Image '{image}' is still building; wait for `form pack build` to finish.",
                ImageBuildState.Failed => $"Image '{image}' failed to build ({status.Error}); fix the Formfile and build it again.",
                _ => $"Image '{image}' does not exist. Build it with `form pack build`, or see `form image list`.",
            });
        }

        throw FormationException.NotFound($"Image '{image}' has no digest; build it again with `form pack build`.");
    }

    /// <summary>How many deleted VM ids the catalog remembers to refuse late summaries for.</summary>
    internal const int DeletedIdsKept = 10_000;

    private void RememberDeleted(string vmId)
    {
        if (!_deleted.Add(vmId))
        {
            return;
        }

        _deletedOrder.Enqueue(vmId);
        if (_deletedOrder.Count > DeletedIdsKept)
        {
            _deleted.Remove(_deletedOrder.Dequeue());
        }
    }

    private void Upsert(VmSummary summary)
    {
        if (Vms.TryGetValue(summary.Id, out var old) && NameKey(old) != NameKey(summary))
        {
            _idByName.Remove(NameKey(old));
        }

        _vms.Set(summary.Id, summary);
        _idByName[NameKey(summary)] = summary.Id;
    }

    private static string NameKey(VmSummary vm) => new OwnedName(vm.Account, vm.Name).Key;

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId} ({Name}) created on node {NodeId}")]
    private partial void LogCreated(string vmId, string name, string nodeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Test hook Formation:Testing:HoldCreateAfterPlacement: holding the create of VM {VmId}, placed on node {NodeId}, until this silo is killed")]
    private partial void LogHeldForTests(string vmId, string nodeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId} lost: {Count} VM(s) marked Lost")]
    private partial void LogNodeLost(string nodeId, int count);
}
