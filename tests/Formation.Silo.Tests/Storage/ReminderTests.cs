using Microsoft.Extensions.DependencyInjection;

namespace Formation.Silo.Tests.Storage;

/// <summary>
/// Orleans reminders through Formation's schema: through a grain on a real in-process cluster, and
/// the reminder table contract (etags, hash ranges) directly. Run once per database by the derived classes.
/// </summary>
public abstract class ReminderTests(StorageClusterFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RegisterReminder_ListsItAndStoresItsRow()
    {
        fixture.RequireAvailable();
        var grain = fixture.Client.GetGrain<IReminderProbeGrain>(NewKey());

        await grain.RegisterAsync("daily", TimeSpan.FromHours(1), TimeSpan.FromHours(24));
        await grain.RegisterAsync("hourly", TimeSpan.FromHours(1), TimeSpan.FromHours(1));

        Assert.Equal(["daily", "hourly"], await grain.ListAsync());
        var period = await fixture.Database.ScalarAsync(
            "SELECT period FROM orleans_reminders WHERE service_id = @service AND reminder_name = 'daily' AND grain_id LIKE @key",
            ("service", fixture.ServiceId), ("key", "%" + grain.GetPrimaryKeyString()));
        Assert.Equal((long)TimeSpan.FromHours(24).TotalMilliseconds, Convert.ToInt64(period, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task UnregisterReminder_RemovesItsRow()
    {
        fixture.RequireAvailable();
        var grain = fixture.Client.GetGrain<IReminderProbeGrain>(NewKey());
        await grain.RegisterAsync("once", TimeSpan.FromHours(1), TimeSpan.FromHours(1));

        await grain.UnregisterAsync("once");

        Assert.Empty(await grain.ListAsync());
        Assert.Equal(0L, Convert.ToInt64(await fixture.Database.ScalarAsync(
            "SELECT count(*) FROM orleans_reminders WHERE service_id = @service AND grain_id LIKE @key",
            ("service", fixture.ServiceId), ("key", "%" + grain.GetPrimaryKeyString())), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Reminder_WithOneSecondPeriod_Fires()
    {
        fixture.RequireAvailable();
        var grain = fixture.Client.GetGrain<IReminderProbeGrain>(NewKey());

        await grain.RegisterAsync("tick", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await grain.TicksAsync("tick") == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, Ct);
        }

        Assert.True(await grain.TicksAsync("tick") > 0, "the reminder did not fire within 30 s");
        await grain.UnregisterAsync("tick");
    }

    [Fact]
    public async Task ReminderTable_EtagsAndHashRanges_FollowTheProviderContract()
    {
        fixture.RequireAvailable();
        var table = fixture.Cluster.GetSiloServiceProvider().GetRequiredService<IReminderTable>();
        var first = GrainId.Create("formation-test", NewKey());
        var second = GrainId.Create("formation-test", NewKey());
        var start = new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc);

        var etag1 = await table.UpsertRow(new ReminderEntry { GrainId = first, ReminderName = "r", StartAt = start, Period = TimeSpan.FromMinutes(5) }, Ct);
        var etag2 = await table.UpsertRow(new ReminderEntry { GrainId = first, ReminderName = "r", StartAt = start, Period = TimeSpan.FromMinutes(6) }, Ct);
        await table.UpsertRow(new ReminderEntry { GrainId = second, ReminderName = "r", StartAt = start, Period = TimeSpan.FromDays(40) }, Ct);

        Assert.NotEqual(etag1, etag2);
        var read = await table.ReadRow(first, "r", Ct);
        Assert.NotNull(read);
        Assert.Equal(etag2, read.ETag);
        Assert.Equal(start, read.StartAt);
        Assert.Equal(TimeSpan.FromMinutes(6), read.Period);
        Assert.Null(await table.ReadRow(first, "missing", Ct));
        Assert.Equal(TimeSpan.FromDays(40), (await table.ReadRows(second, Ct)).Reminders.Single().Period);

        var hash = first.GetUniformHashCode();
        var around = await table.ReadRows(unchecked(hash - 1), hash, Ct);
        Assert.Contains(around.Reminders, r => r.GrainId == first);
        var allButFirst = await table.ReadRows(hash, unchecked(hash - 1), Ct);
        Assert.DoesNotContain(allButFirst.Reminders, r => r.GrainId == first);
        Assert.Contains(allButFirst.Reminders, r => r.GrainId == second);

        Assert.False(await table.RemoveRow(first, "r", etag1!, Ct));
        Assert.True(await table.RemoveRow(first, "r", etag2!, Ct));
        Assert.Null(await table.ReadRow(first, "r", Ct));
    }

    private static string NewKey() => "reminder-" + Guid.NewGuid().ToString("N")[..12];
}
