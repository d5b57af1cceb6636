using System.Diagnostics;
using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Formation.Silo.Dns;
using Formation.Errors;
using Formation.Identity;
using Formation.Vms;
using static Formation.Testing.Accounts;

namespace Formation.Silo.Tests.Dns;

/// <summary>
/// The zone as the fabric feeds it, on two real silos: a VM's name answers on every silo once it runs, and a state
/// change is visible within a second; nodes have names; a record the feeder lost heals at the next resync.
/// </summary>
public sealed class DnsFabricTests(DnsClusterFixture fixture) : IClassFixture<DnsClusterFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>The bound: records change within 1 s of a state change.</summary>
    private static readonly TimeSpan Visible = TimeSpan.FromSeconds(1);

    private IVmCatalogGrain Catalog => fixture.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);

    private async Task<DnsMessage> AskAsync(int silo, string name, RecordType type = RecordType.A) =>
        await TryAskAsync(silo, name, type) ?? throw new InvalidOperationException($"silo {silo} did not answer {name}");

    /// <summary>One UDP query; null when no answer came within 2 s (a datagram lost or a silo busy under load).</summary>
    private Task<DnsMessage?> TryAskAsync(int silo, string name, RecordType type = RecordType.A)
    {
        var client = new DnsClient([IPAddress.Parse(DnsClusterFixture.AddressOf(silo))], [new UdpClientTransport(fixture.Port)], true, 2000);
        return client.ResolveAsync(DomainName.Parse(name), type);
    }

    private async Task<string?> AddressAsync(int silo, string name)
    {
        var answer = await AskAsync(silo, name);
        return answer.ReturnCode == ReturnCode.NoError && answer.AnswerRecords.OfType<ARecord>().FirstOrDefault() is { } a ? a.Address.ToString() : null;
    }

    /// <summary>How long until <paramref name="holds"/> is true on every silo (fails after <see cref="Timeout"/>).</summary>
    private async Task<TimeSpan> UntilEverySiloAsync(string name, Func<DnsMessage, bool> holds, string what)
    {
        var clock = Stopwatch.StartNew();
        for (var silo = 0; silo < DnsClusterFixture.SiloCount; silo++)
        {
            var s = silo;
            // An unanswered query is retried like a wrong answer: only the bound says the silo failed.
            await Eventually.HoldsAsync(() => TryAskAsync(s, name), m => m is not null && holds(m), Timeout, $"{what} on silo {s}");
        }

        return clock.Elapsed;
    }

    private async Task<IVmGrain> RunningVmAsync(string name, string? account = null)
    {
        var spec = new VmSpec(name, 1, 256, 1, null, null);
        var created = account is null ? await Catalog.CreateVmAsync(spec) : await AsAccount(fixture.Client, account, c => c.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).CreateVmAsync(spec));
        var vm = fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        await Eventually.HoldsAsync(vm.GetAsync, v => v.State == VmState.Running && v.Address is not null, Timeout, $"{name} running with an address");
        return vm;
    }

    [Fact]
    public async Task RunningVm_AnswersItsAddressOnEverySilo_WithDigToo()
    {
        var vm = await RunningVmAsync("dns-web");
        var address = (await vm.GetAsync()).Address!;

        await UntilEverySiloAsync("dns-web.fog", m => m.AnswerRecords.OfType<ARecord>().Any(a => a.Address.ToString() == address), "dns-web's address");
        var dig = await Dig.QueryAsync(DnsClusterFixture.AddressOf(1), fixture.Port, "DNS-WEB.fog");

        Assert.Equal([$"DNS-WEB.fog. 5 IN A {address}"], dig.Answers);
        Assert.StartsWith("10.77.", address);
    }

    [Fact]
    public async Task StateChanges_AreVisibleWithinASecond_OnEverySilo()
    {
        var vm = await RunningVmAsync("dns-change");
        var address = (await vm.GetAsync()).Address!;
        await UntilEverySiloAsync("dns-change.fog", m => m.AnswerRecords.Count == 1, "the running VM's name");

        await vm.StopAsync();
        var gone = await UntilEverySiloAsync("dns-change.fog", m => m.ReturnCode == ReturnCode.NxDomain, "NXDOMAIN once stopping");
        Assert.True(gone < Visible, $"the stopped VM's name went after {gone.TotalMilliseconds:0} ms");

        await Eventually.HoldsAsync(vm.GetAsync, v => v.State == VmState.Stopped, Timeout, "stopped");
        await vm.StartAsync();
        await Eventually.HoldsAsync(vm.GetAsync, v => v.State == VmState.Running, Timeout, "running again");
        var back = await UntilEverySiloAsync("dns-change.fog", m => m.AnswerRecords.OfType<ARecord>().Any(a => a.Address.ToString() == address), "the name back");
        Assert.True(back < Visible, $"the restarted VM's name came back after {back.TotalMilliseconds:0} ms");

        await vm.PauseAsync();
        await Task.Delay(Visible);
        Assert.Equal(address, await AddressAsync(0, "dns-change.fog")); // a paused VM keeps its name

        await vm.DeleteAsync();
        var deleted = await UntilEverySiloAsync("dns-change.fog", m => m.ReturnCode == ReturnCode.NxDomain, "NXDOMAIN once deleted");
        Assert.True(deleted < Visible, $"the deleted VM's name went after {deleted.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Nodes_HaveNames_UnknownNodeIsNxDomain()
    {
        await UntilEverySiloAsync("dns-0.node.fog", m => m.AnswerRecords.OfType<ARecord>().Any(a => a.Address.Equals(IPAddress.Loopback)), "dns-0's name");
        await UntilEverySiloAsync("dns-1.node.fog", m => m.AnswerRecords.Count == 1, "dns-1's name");

        var nothere = await AskAsync(0, "dns-9.node.fog");
        var node = await AskAsync(0, "node.fog");

        Assert.Equal(ReturnCode.NxDomain, nothere.ReturnCode);
        Assert.Equal(ReturnCode.NoError, node.ReturnCode); // the names below it exist
        Assert.Empty(node.AnswerRecords);
    }

    [Fact]
    public async Task LostRecords_HealAtTheNextResync()
    {
        var vm = await RunningVmAsync("dns-heal");
        var address = (await vm.GetAsync()).Address!;
        await UntilEverySiloAsync("dns-heal.fog", m => m.AnswerRecords.Count == 1, "dns-heal's name");
        var table = fixture.Cluster.Silos[0].ServiceProvider.GetService(typeof(DnsTable)) as DnsTable;

        // As if the feeder had missed events: its names replaced by a stale set.
        table!.Replace(FabricFeeder.VmSource, new Dictionary<string, IReadOnlyList<ZoneRecord>> { ["ghost"] = DnsTable.Addresses([IPAddress.Parse("10.77.99.99")]) });
        Assert.Null(await AddressAsync(0, "dns-heal.fog"));

        var healed = Stopwatch.StartNew();
        await Eventually.HoldsAsync(() => AddressAsync(0, "dns-heal.fog"), a => a == address, Timeout, "dns-heal back after a resync");
        Assert.True(healed.Elapsed < DnsClusterFixture.Resync * 2, $"healed after {healed.Elapsed.TotalSeconds:0.0} s");
        Assert.Null(await AddressAsync(0, "ghost.fog"));
    }

    [Fact]
    public async Task CatalogRowLaggingBehindARunningVm_DoesNotTakeItsNameAway()
    {
        var vm = await RunningVmAsync("dns-lag");
        var info = await vm.GetAsync();
        await UntilEverySiloAsync("dns-lag.fog", m => m.AnswerRecords.Count == 1, "dns-lag's name");

        // The catalog keeps a row that says Provisioning (as when a create's own summary lands after the VM ran).
        await Catalog.UpdateAsync(info.ToSummary() with { State = VmState.Provisioning, UpdatedAt = info.UpdatedAt.AddMilliseconds(1) });
        await Eventually.HoldsAsync(Catalog.ListAsync, l => l.Any(v => v.Id == info.Id && v.State == VmState.Provisioning), Timeout, "the lagging row");

        // Two resyncs later the name still answers: the resync asked the VM's grain instead of believing the row.
        await Task.Delay(DnsClusterFixture.Resync * 2 + TimeSpan.FromMilliseconds(500));
        Assert.Equal(info.Address, await AddressAsync(0, "dns-lag.fog"));
        Assert.Equal(info.Address, await AddressAsync(1, "dns-lag.fog"));
    }

    [Fact]
    public async Task TwoAccountsVmsOfOneName_AreNamedUnderTheirAccounts_AndEachAddressAsksAsItsAccount_WithinASecond()
    {
        var admin = await RunningVmAsync("dns-acct");
        var bob = await RunningVmAsync("dns-acct", "dns-bob");
        var alice = await RunningVmAsync("dns-acct", "dns-alice");
        var addresses = new Dictionary<string, string>
        {
            ["admin"] = (await admin.GetAsync()).Address!,
            ["dns-bob"] = (await bob.GetAsync()).Address!,
            ["dns-alice"] = (await alice.GetAsync()).Address!,
        };
        var silo = fixture.Cluster.Silos[0].ServiceProvider;
        var guests = (GuestSources)silo.GetService(typeof(GuestSources))!;
        var table = (DnsTable)silo.GetService(typeof(DnsTable))!;

        // The host (a source outside the guest ranges) sees every account's name, on every silo.
        await UntilEverySiloAsync("dns-acct.fog", m => m.AnswerRecords.OfType<ARecord>().Any(a => a.Address.ToString() == addresses["admin"]), "admin's");
        await UntilEverySiloAsync("dns-acct.dns-bob.fog", m => m.AnswerRecords.OfType<ARecord>().Any(a => a.Address.ToString() == addresses["dns-bob"]), "bob's");
        await UntilEverySiloAsync("dns-acct.dns-alice.fog", m => m.AnswerRecords.OfType<ARecord>().Any(a => a.Address.ToString() == addresses["dns-alice"]), "alice's");

        // Each VM's address asks as its own account (the feeder tells the server who holds it, with the names).
        await Eventually.HoldsAsync(() => Task.FromResult(guests.Asker(IPAddress.Parse(addresses["dns-alice"]))), a => a == DnsAsker.GuestOf("dns-alice"),
            Timeout, "alice's address known as hers");
        Assert.Equal(DnsAsker.GuestOf("dns-bob"), guests.Asker(IPAddress.Parse(addresses["dns-bob"])));
        Assert.Equal(DnsAsker.Fabric, guests.Asker(IPAddress.Parse(addresses["admin"])));

        var answerer = new ZoneAnswerer("fog", TimeSpan.FromSeconds(5), "dns-0.node");
        string? Ask(string from, string name)
        {
            var query = new DnsMessage { Questions = [new DnsQuestion(DomainName.Parse(name), RecordType.A, RecordClass.INet)] };
            var response = answerer.Answer(query, guests.Asker(IPAddress.Parse(addresses[from])), table.Current).Response!;
            return response.ReturnCode == ReturnCode.NxDomain ? "NXDOMAIN" : response.AnswerRecords.OfType<ARecord>().SingleOrDefault()?.Address.ToString();
        }

        Assert.Equal(addresses["dns-bob"], Ask("dns-bob", "dns-acct.fog"));
        Assert.Equal(addresses["dns-alice"], Ask("dns-alice", "dns-acct.fog"));
        Assert.Equal(addresses["admin"], Ask("admin", "dns-acct.fog"));
        Assert.Equal("NXDOMAIN", Ask("dns-bob", "dns-acct.dns-alice.fog"));
        Assert.Equal("NXDOMAIN", Ask("dns-alice", "dns-acct.dns-bob.fog"));

        // Deleted: its address is nobody's within a second, as its name goes.
        await bob.DeleteAsync();
        var gone = Stopwatch.StartNew();
        await Eventually.HoldsAsync(() => Task.FromResult(guests.Asker(IPAddress.Parse(addresses["dns-bob"]))), a => a == DnsAsker.Stranger, Timeout,
            "bob's address nobody's once deleted");
        Assert.True(gone.Elapsed < Visible, $"bob's address stayed his for {gone.Elapsed.TotalMilliseconds:0} ms");
        await UntilEverySiloAsync("dns-acct.dns-bob.fog", m => m.ReturnCode == ReturnCode.NxDomain, "bob's name gone");
        await admin.DeleteAsync();
        await alice.DeleteAsync();
    }

    [Fact]
    public async Task AnAccountCalledLikeTheNodeLabel_IsRefused_AndNothingIsMade()
    {
        var registry = fixture.Client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster);
        var before = await AsAccount(fixture.Client, "ops", _ => registry.ListAsync(), admin: true);

        var refused = await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(fixture.Client, "ops", _ => registry.CreateAsync(AccountNames.Nodes, false, "not a csr: the name is checked first"), admin: true));

        Assert.Equal(ErrorKind.InvalidArgument, refused.Kind);
        Assert.Contains("'node' is reserved", refused.Message);
        Assert.Contains("pick another name", refused.Message);
        Assert.Equal(before.Select(a => a.Name), (await AsAccount(fixture.Client, "ops", _ => registry.ListAsync(), admin: true)).Select(a => a.Name));
    }
}
