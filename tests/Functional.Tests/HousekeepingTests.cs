using Npgsql;

namespace OAuthAspire.Functional.Tests;

/// <summary>The token service's housekeeping (every 2 s in tests): long-expired records go, a batch at a time, live ones stay.</summary>
[Collection(SystemCollection.Name)]
public sealed class HousekeepingTests(SystemFixture system)
{
    [Fact]
    public async Task ExpiredTokenRecordsArePurgedInBatchesAndLiveOnesKept()
    {
        // More than two batches (BatchedPurge.BatchSize is 5,000), all expired two days ago, and one live record.
        var prefix = "purge-" + Guid.NewGuid().ToString("N")[..8] + "-";
        await using var db = await system.DatabaseAsync("tokendb");
        await using (var insert = db.CreateCommand("""
            INSERT INTO issued_token (jti, client_id, subject, scope, grant_type, issued_at, expires_at)
            SELECT $1 || g, 'purge-client', 'purge-subject', 'useraccount', 'client_credentials', now() - interval '3 days', now() - interval '2 days'
            FROM generate_series(1, 12001) g
            UNION ALL SELECT $1 || 'live', 'purge-client', 'purge-subject', 'useraccount', 'client_credentials', now(), now() + interval '1 hour'
            """))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix });
            Assert.Equal(12002, await insert.ExecuteNonQueryAsync());
        }

        await TestApi.EventuallyAsync(async () => await CountAsync(db, prefix) == 1, TimeSpan.FromSeconds(30), "the expired records purged");
        await using var live = db.CreateCommand("SELECT count(*) FROM issued_token WHERE jti = $1");
        live.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix + "live" });
        Assert.Equal(1L, await live.ExecuteScalarAsync());
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, string prefix)
    {
        await using var count = db.CreateCommand("SELECT count(*) FROM issued_token WHERE jti LIKE $1 || '%'");
        count.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix });
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
