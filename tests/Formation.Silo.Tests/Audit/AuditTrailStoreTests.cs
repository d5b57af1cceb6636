using Formation.Audit;
using Formation.Silo.Audit;
using Formation.Silo.Storage;
using Formation.Silo.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Audit;

/// <summary>The audit table on real SQLite and PostgreSQL: batches in, newest-last reads, filters, following, retention.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AuditTrailStoreTests(PostgresServer postgres) : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TestDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    public static AuditEntry Entry(string account, string action, DateTimeOffset at, string result = AuditEntry.Ok) =>
        new(0, at, account, action, "node-1/vm-1", "spec={web}", result, result == AuditEntry.Ok ? null : "no VM named web", 12, "node-1");

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task Read_NewestRowsOldestFirst_FilteredByAccountAndTime(DatabaseKind kind)
    {
        var trail = await CreateAsync(kind, "audit_read");
        await trail.WriteAsync([Entry("alice", "Vm.Create", T0), Entry("bob", "Vm.Stop", T0.AddMinutes(1)),
            Entry("alice", "Vm.Delete", T0.AddMinutes(2), "NotFound")], Ct);

        var all = await trail.ReadAsync(new AuditQuery(), Ct);
        var lastTwo = await trail.ReadAsync(new AuditQuery(Limit: 2), Ct);
        var alice = await trail.ReadAsync(new AuditQuery(Account: "alice"), Ct);
        var recent = await trail.ReadAsync(new AuditQuery(Since: T0.AddMinutes(1)), Ct);

        Assert.Equal(["Vm.Create", "Vm.Stop", "Vm.Delete"], all.Select(e => e.Action));
        Assert.True(all[0].Id < all[1].Id && all[1].Id < all[2].Id);
        Assert.Equal(["Vm.Stop", "Vm.Delete"], lastTwo.Select(e => e.Action));
        Assert.Equal(["Vm.Create", "Vm.Delete"], alice.Select(e => e.Action));
        Assert.Equal(["Vm.Stop", "Vm.Delete"], recent.Select(e => e.Action));
        var failed = all[2];
        Assert.Equal(("alice", "NotFound", "no VM named web", T0.AddMinutes(2), 12L, "node-1", "node-1/vm-1", "spec={web}"),
            (failed.Account, failed.Result, failed.Error, failed.At, failed.DurationMs, failed.Node, failed.Target, failed.Arguments));
        Assert.Null(all[0].Error);
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task Read_AfterId_ReturnsOnlyLaterRows(DatabaseKind kind)
    {
        var trail = await CreateAsync(kind, "audit_follow");
        await trail.WriteAsync([Entry("alice", "Vm.Create", T0), Entry("alice", "Vm.Start", T0)], Ct);
        var first = await trail.ReadAsync(new AuditQuery(), Ct);
        await trail.WriteAsync([Entry("alice", "Vm.Stop", T0)], Ct);
        if (kind == DatabaseKind.PostgreSql)
        {
            await Task.Delay(SqlAuditTrail.FollowSettle + TimeSpan.FromMilliseconds(200), Ct);
        }

        var next = await trail.ReadAsync(new AuditQuery(AfterId: first[^1].Id), Ct);

        Assert.Equal(["Vm.Stop"], next.Select(e => e.Action));
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task Trim_RemovesRowsOlderThanTheCutoffAndBeyondTheRowLimit(DatabaseKind kind)
    {
        var trail = await CreateAsync(kind, "audit_trim");
        await trail.WriteAsync(Enumerable.Range(0, 10).Select(i => Entry("alice", $"Step.{i}", T0.AddDays(i))).ToList(), Ct);

        var byAge = await trail.TrimAsync(T0.AddDays(3), keepRows: 100, Ct);
        var byCount = await trail.TrimAsync(T0, keepRows: 4, Ct);
        var none = await trail.TrimAsync(T0, keepRows: 4, Ct);

        Assert.Equal((3, 3, 0), (byAge, byCount, none));
        Assert.Equal(["Step.6", "Step.7", "Step.8", "Step.9"], (await trail.ReadAsync(new AuditQuery(), Ct)).Select(e => e.Action));
    }

    [Fact]
    public async Task Rows_AreScopedByServiceId()
    {
        var connection = SqliteConnectionStrings.ForFile(_directory.File("scoped.db"));
        await SchemaMigrator.ApplyAsync(DatabaseKind.Sqlite, connection, NullLogger.Instance, Ct);
        await new SqlAuditTrail(DatabaseKind.Sqlite, connection, "other").WriteAsync([Entry("mallory", "Vm.Delete", T0)], Ct);

        Assert.Empty(await new SqlAuditTrail(DatabaseKind.Sqlite, connection, "test-service").ReadAsync(new AuditQuery(), Ct));
    }

    internal async Task<SqlAuditTrail> CreateAsync(DatabaseKind kind, string label) =>
        new(kind, await DatabaseAsync(postgres, _directory, kind, label), "test-service");

    internal static async Task<string> DatabaseAsync(PostgresServer postgres, TestDirectory directory, DatabaseKind kind, string label)
    {
        string connection;
        if (kind == DatabaseKind.Sqlite)
        {
            connection = SqliteConnectionStrings.ForFile(directory.File(label + ".db"));
        }
        else
        {
            postgres.RequireAvailable();
            connection = await postgres.CreateDatabaseAsync(label);
        }

        await SchemaMigrator.ApplyAsync(kind, connection, NullLogger.Instance, Ct);
        return connection;
    }
}
