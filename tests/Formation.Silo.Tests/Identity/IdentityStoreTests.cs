using Formation.Silo.Identity;
using Formation.Silo.Storage;
using Formation.Silo.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Identity;

/// <summary>Join tokens and the cluster's CA record, on real SQLite and PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class IdentityStoreTests(PostgresServer postgres) : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 18, 0, 0, TimeSpan.Zero);
    private readonly TestDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task Token_AdmitsOneNode_ThenSaysByWhomItWasUsed_AndExpiredOrUnknownTokensAreRefused(DatabaseKind kind)
    {
        var store = await CreateAsync(kind, "tokens");
        await store.AddTokenAsync("hash-1", Now, Now.AddHours(1), Ct);
        await store.AddTokenAsync("hash-2", Now, Now.AddMinutes(1), Ct);

        Assert.Equal(JoinTokenOutcome.Accepted, (await store.UseTokenAsync("hash-1", "node-b", Now.AddMinutes(5), Ct)).Outcome);
        var again = await store.UseTokenAsync("hash-1", "node-c", Now.AddMinutes(6), Ct);
        Assert.Equal(JoinTokenOutcome.Used, again.Outcome);
        Assert.Equal("node-b", again.By);
        Assert.Contains("already used by node 'node-b'", again.Refusal);

        var late = await store.UseTokenAsync("hash-2", "node-d", Now.AddMinutes(2), Ct);
        Assert.Equal(JoinTokenOutcome.Expired, late.Outcome);
        Assert.Contains("expired", late.Refusal);
        // An expired token stays unusable: it was not marked used by the refused attempt, and it is still expired.
        Assert.Equal(JoinTokenOutcome.Expired, (await store.UseTokenAsync("hash-2", "node-d", Now.AddMinutes(3), Ct)).Outcome);
        Assert.Equal(JoinTokenOutcome.Unknown, (await store.UseTokenAsync("hash-x", "node-e", Now, Ct)).Outcome);
    }

    [Fact]
    public async Task ManyNodesRacingWithOneToken_ExactlyOneIsAdmitted()
    {
        var store = await CreateAsync(DatabaseKind.PostgreSql, "token_race");
        await store.AddTokenAsync("race", Now, Now.AddHours(1), Ct);
        var uses = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => store.UseTokenAsync("race", $"node-{i}", Now.AddSeconds(1), Ct))));
        Assert.Single(uses, u => u.Outcome == JoinTokenOutcome.Accepted);
        Assert.Equal(15, uses.Count(u => u.Outcome == JoinTokenOutcome.Used));
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task Authority_FirstClaimWins_AndOnlyItsHolderMovesTheJoinEndpoint(DatabaseKind kind)
    {
        var store = await CreateAsync(kind, "authority");
        Assert.Null(await store.AuthorityAsync(Ct));
        Assert.True(await store.ClaimAuthorityAsync(new("fp-1", "node-a", "10.0.0.1:30443"), Now, Ct));
        Assert.False(await store.ClaimAuthorityAsync(new("fp-2", "node-b", "10.0.0.2:30443"), Now, Ct));
        await store.UpdateJoinEndpointAsync("fp-2", "10.0.0.2:1", Ct);
        Assert.Equal(new IdentityStore.Authority("fp-1", "node-a", "10.0.0.1:30443"), await store.AuthorityAsync(Ct));
        await store.UpdateJoinEndpointAsync("fp-1", "10.0.0.9:30443", Ct);
        Assert.Equal("10.0.0.9:30443", (await store.AuthorityAsync(Ct))!.JoinEndpoint);
    }

    private async Task<IdentityStore> CreateAsync(DatabaseKind kind, string label)
    {
        string connection;
        if (kind == DatabaseKind.Sqlite)
        {
            connection = SqliteConnectionStrings.ForFile(_directory.File(label + ".db"));
        }
        else
        {
            postgres.RequireAvailable();
            connection = await postgres.CreateDatabaseAsync(label);
        }

        await SchemaMigrator.ApplyAsync(kind, connection, NullLogger.Instance, Ct);
        return new IdentityStore(kind, connection, "test-service", "formation");
    }
}
