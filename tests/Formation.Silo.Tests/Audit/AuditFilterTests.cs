using Formation.Audit;
using Formation.Errors;
using Formation.Identity;
using Formation.Silo.Audit;
using Formation.Silo.Storage;
using Formation.Silo.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Formation.Silo.Tests.Audit;

/// <summary>
/// The audit filter in a real in-process cluster on real SQLite and PostgreSQL. The test client puts the caller into the
/// request context itself, standing in for the identity filter (not part of these clusters) that establishes it in production.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AuditFilterTests(PostgresServer postgres) : IDisposable
{
    private static readonly Caller Alice = new("alice", IsAdmin: false);

    private readonly TestDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task UserRequests_AreRecordedOnceWithTheirOutcome_SilosOwnWorkAndReadsAreNot(DatabaseKind kind)
    {
        await using var cluster = await StartAsync(kind);
        var probe = cluster.Client.GetGrain<IAuditProbeGrain>("p1");

        await As(Caller.System, () => probe.ChangeAsync("background", "x"));
        await As(null, () => probe.ChangeAsync("no-caller", "x"));
        await As(Alice, () => probe.ChangeAsync("web", "hunter2"));
        await As(Alice, () => probe.FanOutAsync("p2"));
        await As(Alice, () => probe.TypeAsync("secret\n"u8.ToArray()));
        await As(Alice, probe.CountAsync);
        var failure = await Assert.ThrowsAsync<FormationException>(() => As(Alice, () => probe.FailAsync("ghost")));

        var rows = await ReadEventuallyAsync(cluster, Caller.Admin, 3);
        Assert.Equal(["alice", "alice", "alice"], rows.Select(r => r.Account));
        Assert.Equal(["AuditProbe.Change", "AuditProbe.FanOut", "AuditProbe.Fail"], rows.Select(r => r.Action));
        Assert.Equal(["p1", "p1", "p1"], rows.Select(r => r.Target));
        Assert.Equal("name=web password=***", rows[0].Arguments);
        Assert.Equal([AuditEntry.Ok, AuditEntry.Ok, nameof(ErrorKind.NotFound)], rows.Select(r => r.Result));
        Assert.Equal(failure.Message, rows[2].Error);
        Assert.All(rows, r => Assert.True(r.DurationMs >= 0 && Math.Abs((DateTimeOffset.UtcNow - r.At).TotalMinutes) < 5));
        Assert.Equal(1, await cluster.Client.GetGrain<IAuditProbeGrain>("p2").CountAsync()); // the fan-out happened, unrecorded
    }

    [Fact]
    public async Task ReadTrail_AsMember_IsRefused_AdminsFilterByAccount()
    {
        await using var cluster = await StartAsync(DatabaseKind.Sqlite);
        var probe = cluster.Client.GetGrain<IAuditProbeGrain>("p1");
        await As(Alice, () => probe.ChangeAsync("web", "x"));
        await As(new Caller("bob", false), () => probe.ChangeAsync("db", "x"));
        await ReadEventuallyAsync(cluster, Caller.Admin, 2);
        var audit = cluster.Client.GetGrain<IAuditGrain>(IAuditGrain.Key);

        var refused = await Assert.ThrowsAsync<FormationException>(() => As(Alice, () => audit.ReadAsync(new AuditQuery())));
        var bobs = await As(Caller.Admin, () => audit.ReadAsync(new AuditQuery(Account: "bob")));
        var invalid = await Assert.ThrowsAsync<FormationException>(() => As(Caller.Admin, () => audit.ReadAsync(new AuditQuery(Limit: 0))));

        Assert.Equal(ErrorKind.PermissionDenied, refused.Kind);
        Assert.Contains("admin", refused.Message);
        Assert.Equal(["bob"], bobs.Select(r => r.Account));
        Assert.Equal(ErrorKind.InvalidArgument, invalid.Kind);
        // Reading is not a mutation: the refused and the admin reads left no rows.
        Assert.Equal(2, (await As(Caller.Admin, () => audit.ReadAsync(new AuditQuery()))).Count);
    }

    private static async Task<IReadOnlyList<AuditEntry>> ReadEventuallyAsync(InProcessTestCluster cluster, Caller reader, int count) =>
        await Eventually.HoldsAsync(
            () => As(reader, () => cluster.Client.GetGrain<IAuditGrain>(IAuditGrain.Key).ReadAsync(new AuditQuery())),
            rows => rows.Count >= count, TimeSpan.FromSeconds(30), $"{count} audit rows");

    /// <summary>Runs <paramref name="call"/> with <paramref name="caller"/> in the request context (none when null).</summary>
    private static async Task<T> As<T>(Caller? caller, Func<Task<T>> call)
    {
        RequestContext.Clear();
        if (caller is not null)
        {
            CallerContext.Set(caller);
        }

        try
        {
            return await call();
        }
        finally
        {
            RequestContext.Clear();
        }
    }

    private static Task As(Caller? caller, Func<Task> call) => As<int>(caller, async () =>
    {
        await call();
        return 0;
    });

    private async Task<InProcessTestCluster> StartAsync(DatabaseKind kind)
    {
        var connection = await AuditTrailStoreTests.DatabaseAsync(postgres, _directory, kind, "audit_filter");
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddFormationAudit(kind, connection);
            silo.Services.Configure<AuditOptions>(o => o.FlushInterval = TimeSpan.FromMilliseconds(20));
        });
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }
}
