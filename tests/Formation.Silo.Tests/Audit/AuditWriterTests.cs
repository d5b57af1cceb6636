using Formation.Audit;
using Formation.Silo.Audit;
using Formation.Silo.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Audit;

/// <summary>The writer on real SQLite: a full queue drops and counts rows without waiting; a stop writes what is queued.</summary>
public sealed class AuditWriterTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UtcNow;

    private readonly TestDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    private async Task<SqlAuditTrail> TrailAsync()
    {
        var connection = SqliteConnectionStrings.ForFile(_directory.File("audit.db"));
        await SchemaMigrator.ApplyAsync(DatabaseKind.Sqlite, connection, NullLogger.Instance, Ct);
        return new SqlAuditTrail(DatabaseKind.Sqlite, connection, "test-service");
    }

    [Fact]
    public async Task TryRecord_QueueFull_DropsAndCountsWithoutWaiting_StopWritesTheQueuedRows()
    {
        var trail = await TrailAsync();
        var writer = new AuditWriter(trail, new AuditOptions { QueueCapacity = 5 }, TimeProvider.System, NullLogger<AuditWriter>.Instance);

        // Not started: nothing drains the queue, as when the database hangs.
        var started = System.Diagnostics.Stopwatch.StartNew();
        var accepted = Enumerable.Range(0, 8).Count(i => writer.TryRecord(AuditTrailStoreTests.Entry("alice", $"Step.{i}", T0)));
        var elapsed = started.Elapsed;

        Assert.Equal(5, accepted);
        Assert.Equal(3, writer.Dropped);
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"recording took {elapsed}");

        await writer.StartAsync(Ct);
        await writer.StopAsync(Ct);

        Assert.Equal(["Step.0", "Step.1", "Step.2", "Step.3", "Step.4"], (await trail.ReadAsync(new AuditQuery(), Ct)).Select(e => e.Action));
        Assert.Equal(5, writer.Written);
    }

    [Fact]
    public async Task Running_WritesBatchesOffTheRequestPath_AndTrimsAtStart()
    {
        var trail = await TrailAsync();
        await trail.WriteAsync([AuditTrailStoreTests.Entry("old", "Vm.Create", T0.AddDays(-100))], Ct);
        var writer = new AuditWriter(trail, new AuditOptions { FlushInterval = TimeSpan.FromMilliseconds(20), BatchSize = 7 },
            TimeProvider.System, NullLogger<AuditWriter>.Instance);
        await writer.StartAsync(Ct);
        try
        {
            for (var i = 0; i < 50; i++)
            {
                Assert.True(writer.TryRecord(AuditTrailStoreTests.Entry("alice", $"Step.{i}", T0)));
            }

            var rows = await Eventually.HoldsAsync(() => trail.ReadAsync(new AuditQuery(), Ct), r => r.Count == 50 && r.All(x => x.Account != "old"), TimeSpan.FromSeconds(20),
                "50 rows written and the 100-day-old one trimmed");
            Assert.Equal(Enumerable.Range(0, 50).Select(i => $"Step.{i}"), rows.Select(r => r.Action));
        }
        finally
        {
            await writer.StopAsync(Ct);
        }
    }

    [Fact]
    public async Task DatabaseGone_RowsAreDroppedAndCounted_RecordingNeverThrows()
    {
        var trail = new SqlAuditTrail(DatabaseKind.Sqlite, SqliteConnectionStrings.ForFile(_directory.File("missing/dir/audit.db")), "test-service");
        var writer = new AuditWriter(trail, new AuditOptions { FlushInterval = TimeSpan.FromMilliseconds(10) }, TimeProvider.System, NullLogger<AuditWriter>.Instance);
        await writer.StartAsync(Ct);

        Assert.True(writer.TryRecord(AuditTrailStoreTests.Entry("alice", "Vm.Create", T0)));
        await Eventually.TrueAsync(() => writer.Dropped == 1, TimeSpan.FromSeconds(20), "the unwritable row counted as dropped");
        await writer.StopAsync(Ct);

        Assert.Equal(0, writer.Written);
    }
}
