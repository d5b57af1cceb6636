using Formation.Errors;
using Formation.Events;
using Formation.Vms;
using Orleans.Streams;

namespace Formation.Silo.Tests.Clusters;

/// <summary>The VM state machine through the real grains on the sim driver: transitions, refusals, events, deletion.</summary>
public sealed class VmLifecycleTests(SimClusterFixture fixture) : IClassFixture<SimClusterFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private IClusterClient Client => fixture.Client;

    private IVmCatalogGrain Catalog => Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);

    [Fact]
    public async Task Lifecycle_FullRound_ReachesEveryStateAndRecordsEachTransition()
    {
        var created = await Catalog.CreateVmAsync(new VmSpec("life-round", 1, 256, 1, null, null));
        Assert.Equal(VmState.Provisioning, created.State);
        var vm = Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));

        await WaitAsync(vm, VmState.Running);
        Assert.Equal(VmState.Paused, (await vm.PauseAsync()).State);
        Assert.Equal(VmState.Running, (await vm.ResumeAsync()).State);
        Assert.Equal(VmState.Stopping, (await vm.StopAsync()).State);
        await WaitAsync(vm, VmState.Stopped);
        Assert.Equal(VmState.Provisioning, (await vm.StartAsync()).State);
        await WaitAsync(vm, VmState.Running);

        var events = await vm.GetEventsAsync();
        Assert.Equal(
            [
                VmState.Scheduled, VmState.Provisioning, VmState.Running, VmState.Paused, VmState.Running,
                VmState.Stopping, VmState.Stopped, VmState.Provisioning, VmState.Running,
            ],
            events.Select(e => e.To));
        Assert.All(events.Zip(events.Skip(1)), pair => Assert.True(pair.First.At <= pair.Second.At));
        Assert.All(events.Zip(events.Skip(1)), pair => Assert.Equal(pair.First.To, pair.Second.From));

        var deleted = await vm.DeleteAsync();
        Assert.Equal(VmState.Deleted, deleted.State);
        var gone = await Assert.ThrowsAsync<FormationException>(() => vm.GetAsync());
        Assert.Equal(ErrorKind.NotFound, gone.Kind);
        await Eventually.HoldsAsync(Catalog.ListAsync, l => l.All(v => v.Id != created.Id), Timeout, "VM gone from the catalog");
        var notFound = await Assert.ThrowsAsync<FormationException>(() => Catalog.ResolveAsync("life-round"));
        Assert.Equal(ErrorKind.NotFound, notFound.Kind);
    }

    [Fact]
    public async Task Catalog_CreatesWhoseVmsBootAtOnce_ListThemRunning_NotTheStateTheCreateReturned()
    {
        // A sim VM boots in 10 ms: its Running summary reaches the (reentrant) catalog while the create is still finishing,
        // and the create's own, older summary (Provisioning) must not overwrite it.
        var created = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Catalog.CreateVmAsync(new VmSpec($"life-fast-{i}", 1, 64, 1, null, null))));
        var ids = created.Select(c => c.Id).ToHashSet();
        await Eventually.HoldsAsync(
            Catalog.ListAsync,
            l => l.Where(v => ids.Contains(v.Id)).Count(v => v.State == VmState.Running) == ids.Count,
            Timeout,
            "every fast-booting VM listed Running");
        foreach (var c in created)
        {
            await Client.GetGrain<IVmGrain>(GrainKeys.Vm(c.NodeId, c.Id)).DeleteAsync();
        }
    }

    [Fact]
    public async Task Catalog_SummaryOvertakenByTheDeletion_DoesNotBringTheVmBack()
    {
        var created = await Catalog.CreateVmAsync(new VmSpec("life-overtaken", 1, 256, 1, null, null));
        var vm = Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        await WaitAsync(vm, VmState.Running);
        var deleting = (await vm.GetAsync()).ToSummary() with { State = VmState.Deleting };
        await vm.DeleteAsync();
        await Eventually.HoldsAsync(Catalog.ListAsync, l => l.All(v => v.Id != created.Id), Timeout, "VM gone from the catalog");

        // Summaries travel one-way: the "Deleting" one may arrive after the "Deleted" one.
        await Catalog.UpdateAsync(deleting);

        Assert.DoesNotContain(await Catalog.ListAsync(), v => v.Id == created.Id);
        Assert.Equal(ErrorKind.NotFound, (await Assert.ThrowsAsync<FormationException>(() => Catalog.ResolveAsync("life-overtaken"))).Kind);
    }

    [Fact]
    public async Task IllegalTransition_IsRefusedWithTheCurrentState_AndChangesNothing()
    {
        var created = await Catalog.CreateVmAsync(new VmSpec("life-illegal", 1, 256, 1, null, null));
        var vm = Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        await WaitAsync(vm, VmState.Running);
        await vm.StopAsync();
        await WaitAsync(vm, VmState.Stopped);
        var before = await vm.GetEventsAsync();

        var pause = await Assert.ThrowsAsync<FormationException>(() => vm.PauseAsync());
        Assert.Equal(ErrorKind.Conflict, pause.Kind);
        Assert.Contains("it is Stopped", pause.Message);
        Assert.Contains("pause needs Running", pause.Message);
        var resume = await Assert.ThrowsAsync<FormationException>(() => vm.ResumeAsync());
        Assert.Contains("resume needs Paused", resume.Message);

        Assert.Equal(VmState.Stopped, (await vm.GetAsync()).State);
        Assert.Equal(before.Count, (await vm.GetEventsAsync()).Count);
        await vm.DeleteAsync();
    }

    [Fact]
    public async Task CreateVm_DuplicateName_IsRefused()
    {
        await Catalog.CreateVmAsync(new VmSpec("life-dup", 1, 256, 1, null, null));
        var error = await Assert.ThrowsAsync<FormationException>(() => Catalog.CreateVmAsync(new VmSpec("life-dup", 2, 512, 1, null, null)));
        Assert.Equal(ErrorKind.Conflict, error.Kind);
        Assert.Contains("already exists", error.Message);
    }

    [Theory]
    [InlineData("Bad_Name", 1, 256, "VM name")]
    [InlineData("ok-name", 0, 256, "--vcpus")]
    [InlineData("ok-name", 129, 256, "--vcpus")]
    [InlineData("ok-name", 1, 1, "--memory")]
    public async Task CreateVm_InvalidSpec_IsRefusedBeforeAnythingIsReserved(string name, int vcpus, long memory, string mentions)
    {
        var error = await Assert.ThrowsAsync<FormationException>(() => Catalog.CreateVmAsync(new VmSpec(name, vcpus, memory, 1, null, null)));
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(mentions, error.Message);
        Assert.DoesNotContain(await Catalog.ListAsync(), v => v.Name == name);
    }

    [Fact]
    public async Task CreateVm_UnknownImage_IsRefusedWithHowToBuildIt()
    {
        var error = await Assert.ThrowsAsync<FormationException>(() => Catalog.CreateVmAsync(new VmSpec("life-img", 1, 256, 1, "nope:latest", null)));
        Assert.Equal(ErrorKind.NotFound, error.Kind);
        Assert.Contains("form pack build", error.Message);
    }

    [Fact]
    public async Task Transitions_ArePublishedOnTheVmStream()
    {
        var received = new List<VmEvent>();
        var created = await Catalog.CreateVmAsync(new VmSpec("life-stream", 1, 256, 1, null, null));
        var vm = Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        await WaitAsync(vm, VmState.Running);
        var stream = Client.GetStreamProvider(EventStreams.Provider).GetStream<VmEvent>(EventStreams.ForVm(created.Id));
        var handle = await stream.SubscribeAsync((e, _) =>
        {
            lock (received)
            {
                received.Add(e);
            }

            return Task.CompletedTask;
        });

        await vm.StopAsync();
        await Eventually.HoldsAsync(
            () => Task.FromResult(Snapshot(received)),
            // Events published just before the subscription took effect may arrive too; what matters is that both
            // transitions of the stop arrive, in order.
            l => l.Select(e => e.To).Where(s => s is VmState.Stopping or VmState.Stopped).SequenceEqual([VmState.Stopping, VmState.Stopped]),
            Timeout,
            "Stopping and Stopped on the stream");
        await handle.UnsubscribeAsync();
        Assert.All(Snapshot(received), e => Assert.Equal(created.Id, e.VmId));
    }

    private static List<VmEvent> Snapshot(List<VmEvent> list)
    {
        lock (list)
        {
            return [.. list];
        }
    }

    [Fact]
    public async Task WaitFor_IsAnsweredAtTheTransition_WhileOtherCallsGoOn_OrWhenItsPatienceRunsOut()
    {
        var created = await Catalog.CreateVmAsync(new VmSpec("life-wait", 1, 64, 1, null, null));
        var vm = Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        Assert.Equal(VmState.Running, (await vm.WaitForAsync(VmState.Running, TimeSpan.FromSeconds(10))).State);

        // Nothing stops it: the wait ends with its patience, with the state it is in.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(VmState.Running, (await vm.WaitForAsync(VmState.Stopped, TimeSpan.FromMilliseconds(400))).State);
        Assert.InRange(clock.ElapsedMilliseconds, 350, 5000);

        // A wait in progress does not hold up the grain (the stop goes through), and it is answered when Stopped comes.
        clock.Restart();
        var stopped = vm.WaitForAsync(VmState.Stopped, TimeSpan.FromSeconds(15));
        await Task.Delay(100);
        Assert.False(stopped.IsCompleted, "answered before the VM stopped");
        Assert.Equal(VmState.Stopping, (await vm.StopAsync()).State);
        Assert.Equal(VmState.Stopped, (await stopped).State);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the wait took {clock.Elapsed}, not the transition");

        await vm.DeleteAsync();
        var gone = await Assert.ThrowsAsync<FormationException>(() => vm.WaitForAsync(VmState.Running, TimeSpan.FromSeconds(1)));
        Assert.Equal(ErrorKind.NotFound, gone.Kind);
    }

    private static Task WaitAsync(IVmGrain vm, VmState state) =>
        Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State == state, Timeout, $"VM {state}");
}
