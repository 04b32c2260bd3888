using Npgsql;

namespace OAuthAspire.Functional.Tests;

/// <summary>
/// The look-ups by user id use their indexes when given a string parameter, as Npgsql sends one: a
/// char(32) column compared with text is cast first and no index serves it, so at 100,000 users every
/// look-up scanned the table (found by bench/seed, issue 25). With sequential scans disabled a plan
/// that can use the index does, and one that cannot still scans.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class IndexUseTests(SystemFixture system)
{
    [Theory]
    [InlineData("directorydb", "SELECT user_name FROM app_user WHERE sys_id = $1")]
    [InlineData("tokendb", "SELECT family_id FROM refresh_family WHERE user_sys_id = $1")]
    [InlineData("authorizedb", "SELECT scopes FROM consent WHERE user_sys_id = $1")]
    [InlineData("authorizedb", "SELECT sid FROM login_session WHERE user_sys_id = $1")]
    public async Task ALookUpByUserIdUsesAnIndex(string database, string query)
    {
        await using var db = await system.DatabaseAsync(database);
        await using var connection = await db.OpenConnectionAsync();
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync();
        }

        await using var explain = new NpgsqlCommand("EXPLAIN " + query, connection)
        {
            Parameters = { new NpgsqlParameter<string> { TypedValue = "0123456789abcdef0123456789abcdef" } },
        };
        var plan = string.Join('\n', await ReadAllAsync(explain));
        Assert.DoesNotContain("Seq Scan", plan);
        Assert.Contains("Index", plan);
    }

    private static async Task<List<string>> ReadAllAsync(NpgsqlCommand command)
    {
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    }
}
