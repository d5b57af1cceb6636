using System.Text;
using System.Text.Json;
using Orleans.Storage;

namespace Formation.Silo.Tests.Storage;

/// <summary>
/// Orleans grain state through Formation's schema, end to end: a real in-process cluster, the real
/// ADO.NET provider and a real database. Run once per database by the derived classes.
/// </summary>
public abstract class GrainStorageTests(StorageClusterFixture fixture)
{
    private static readonly ProbeState Sample = new()
    {
        Name = "vm-17",
        Count = 42,
        Color = ProbeColor.Blue,
        Tags = ["gpu", "fast"],
        Owner = new ProbeOwner("alice", new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero)),
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WriteState_AfterDeactivation_ReadsBackTheSameState()
    {
        fixture.RequireAvailable();
        var grain = fixture.Client.GetGrain<IStorageProbeGrain>(NewKey());

        await grain.SetAsync(Sample);
        await grain.DeactivateAsync();

        var read = await grain.GetAsync();
        Assert.Equal(Sample.Name, read.Name);
        Assert.Equal(Sample.Count, read.Count);
        Assert.Equal(Sample.Color, read.Color);
        Assert.Equal(Sample.Tags, read.Tags);
        Assert.Equal(Sample.Owner, read.Owner);
        Assert.True(await grain.RecordExistsAsync());
    }

    [Fact]
    public async Task WriteState_StoresPlainJsonWithoutTypeNames()
    {
        fixture.RequireAvailable();
        var key = NewKey();

        await fixture.Client.GetGrain<IStorageProbeGrain>(key).SetAsync(Sample);

        var payload = Assert.IsType<byte[]>(await fixture.Database.ScalarAsync(
            "SELECT payload FROM orleans_storage WHERE service_id = @service AND state_name = 'probe' AND grain_id_extension = @key",
            ("service", fixture.ServiceId), ("key", key)));
        var json = Encoding.UTF8.GetString(payload);
        Assert.DoesNotContain("$type", json);
        Assert.DoesNotContain(nameof(ProbeState), json);
        Assert.DoesNotContain("Formation.", json);
        using var document = JsonDocument.Parse(json);
        Assert.Equal("vm-17", document.RootElement.GetProperty("name").GetString());
        Assert.Equal("Blue", document.RootElement.GetProperty("color").GetString());
        Assert.Equal("alice", document.RootElement.GetProperty("owner").GetProperty("account").GetString());
    }

    [Fact]
    public async Task ClearState_AfterDeactivation_ReadsDefaultStateWithoutRecord()
    {
        fixture.RequireAvailable();
        var key = NewKey();
        var grain = fixture.Client.GetGrain<IStorageProbeGrain>(key);
        await grain.SetAsync(Sample);

        await grain.ClearAsync();
        await grain.DeactivateAsync();

        var read = await grain.GetAsync();
        Assert.Equal(string.Empty, read.Name);
        Assert.False(await grain.RecordExistsAsync());
        await grain.SetAsync(Sample with { Count = 1 });
        await grain.DeactivateAsync();
        Assert.Equal(1, (await grain.GetAsync()).Count);
    }

    [Fact]
    public async Task WriteState_RowChangedBehindTheGrainsBack_ThrowsInconsistentStateException()
    {
        fixture.RequireAvailable();
        var key = NewKey();
        var grain = fixture.Client.GetGrain<IStorageProbeGrain>(key);
        await grain.SetAsync(Sample);

        Assert.Equal(1, await BumpVersionAsync(key));

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.SetAsync(Sample with { Count = 2 }));
    }

    [Fact]
    public async Task ClearState_RowChangedBehindTheGrainsBack_ThrowsInconsistentStateException()
    {
        fixture.RequireAvailable();
        var key = NewKey();
        var grain = fixture.Client.GetGrain<IStorageProbeGrain>(key);
        await grain.SetAsync(Sample);

        Assert.Equal(1, await BumpVersionAsync(key));

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.ClearAsync());
    }

    [Fact]
    public async Task FirstWrite_WhenAnotherWriterCreatedTheRowMeanwhile_ThrowsInconsistentStateException()
    {
        fixture.RequireAvailable();
        var key = NewKey();
        var grain = fixture.Client.GetGrain<IStorageProbeGrain>(key);
        Assert.False(await grain.RecordExistsAsync());

        await fixture.Database.ExecuteAsync(
            """
            INSERT INTO orleans_storage (service_id, state_name, grain_id_n0, grain_id_n1, grain_id_extension,
                                         grain_id_hash, grain_type_hash, payload, version)
            VALUES (@service, 'probe', 0, 0, @key, 0, 0, @payload, 1)
            """,
            ("service", fixture.ServiceId), ("key", key), ("payload", "{\"name\":\"other\"}"u8.ToArray()));

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.SetAsync(Sample));
        Assert.Equal("other", (await grain.GetAsync()).Name);
    }

    [Fact]
    public async Task WriteState_IntegerCompoundGuidAndStringKeys_KeepSeparateRows()
    {
        fixture.RequireAvailable();
        var number = Random.Shared.NextInt64(1, long.MaxValue);
        var guid = Guid.NewGuid();
        var a = fixture.Client.GetGrain<ICompoundKeyProbeGrain>(number, "a");
        var b = fixture.Client.GetGrain<ICompoundKeyProbeGrain>(number, "b");
        var g = fixture.Client.GetGrain<IGuidKeyProbeGrain>(guid);
        var s = fixture.Client.GetGrain<IStorageProbeGrain>(number.ToString("X", System.Globalization.CultureInfo.InvariantCulture));

        await a.SetAsync("first");
        await b.SetAsync("second");
        await g.SetAsync("guid");
        await s.SetAsync(Sample with { Name = "string" });
        await Task.WhenAll(a.DeactivateAsync(), b.DeactivateAsync(), g.DeactivateAsync(), s.DeactivateAsync());

        Assert.Equal("first", await a.GetAsync());
        Assert.Equal("second", await b.GetAsync());
        Assert.Equal("guid", await g.GetAsync());
        Assert.Equal("string", (await s.GetAsync()).Name);
    }

    [Fact]
    public async Task WriteState_ManyGrainsAtOnce_AllWritesSucceed()
    {
        fixture.RequireAvailable();
        var grains = Enumerable.Range(0, 40).Select(_ => fixture.Client.GetGrain<IStorageProbeGrain>(NewKey())).ToArray();

        for (var round = 1; round <= 5; round++)
        {
            var count = round;
            await Task.WhenAll(grains.Select(grain => grain.SetAsync(Sample with { Count = count })));
        }

        var total = await fixture.Database.ScalarAsync(
            "SELECT count(*) FROM orleans_storage WHERE service_id = @service AND version = 5", ("service", fixture.ServiceId));
        Assert.Equal(40L, Convert.ToInt64(total, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ClearState_WithDeleteStateOnClear_RemovesTheRowAndAllowsANewFirstWrite()
    {
        fixture.RequireAvailable();
        var key = NewKey();
        var grain = fixture.Client.GetGrain<IDeletingProbeGrain>(key);
        await grain.SetAsync("one");
        await grain.SetAsync("two");

        await grain.ClearAsync();

        Assert.Equal(0L, Convert.ToInt64(await fixture.Database.ScalarAsync(
            "SELECT count(*) FROM orleans_storage WHERE service_id = @service AND state_name = 'deleting' AND grain_id_extension = @key",
            ("service", fixture.ServiceId), ("key", key)), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((string.Empty, false), await grain.GetAsync());
        await grain.SetAsync("three");
        Assert.Equal(1, Convert.ToInt32(await fixture.Database.ScalarAsync(
            "SELECT version FROM orleans_storage WHERE service_id = @service AND state_name = 'deleting' AND grain_id_extension = @key",
            ("service", fixture.ServiceId), ("key", key)), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ClearState_WithDeleteStateOnClearAndAStaleEtag_ThrowsInconsistentStateException()
    {
        fixture.RequireAvailable();
        var key = NewKey();
        var grain = fixture.Client.GetGrain<IDeletingProbeGrain>(key);
        await grain.SetAsync("one");
        await fixture.Database.ExecuteAsync(
            "UPDATE orleans_storage SET version = version + 1 WHERE service_id = @service AND state_name = 'deleting' AND grain_id_extension = @key",
            ("service", fixture.ServiceId), ("key", key));

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.ClearAsync());
    }

    [Fact]
    public async Task WholeClusterRestart_StateAndRemindersSurvive()
    {
        fixture.RequireAvailable();
        var serviceId = "restart-" + Guid.NewGuid().ToString("N")[..8];
        var key = NewKey();

        await using (var before = await StorageTestCluster.StartAsync(fixture.Database, serviceId, silos: 2))
        {
            await before.Client.GetGrain<IStorageProbeGrain>(key).SetAsync(Sample);
            await before.Client.GetGrain<IReminderProbeGrain>(key).RegisterAsync("survivor", TimeSpan.FromHours(1), TimeSpan.FromHours(1));
        }

        await using var after = await StorageTestCluster.StartAsync(fixture.Database, serviceId);
        Assert.Equal(Sample.Owner, (await after.Client.GetGrain<IStorageProbeGrain>(key).GetAsync()).Owner);
        Assert.Equal(["survivor"], await after.Client.GetGrain<IReminderProbeGrain>(key).ListAsync());
    }

    private Task<int> BumpVersionAsync(string key) => fixture.Database.ExecuteAsync(
        "UPDATE orleans_storage SET version = version + 1 WHERE service_id = @service AND state_name = 'probe' AND grain_id_extension = @key",
        ("service", fixture.ServiceId), ("key", key));

    private static string NewKey() => "probe-" + Guid.NewGuid().ToString("N")[..12];
}
