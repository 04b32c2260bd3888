using System.Globalization;
using System.Runtime.CompilerServices;
using Npgsql;
using OAuthAspire.Testing;

namespace OAuthAspire.Bench.Throughput;

/// <summary>PostgreSQL's work per request during one of our runs: WAL bytes and full-page images, and data blocks found outside its buffer cache.</summary>
public sealed record PgWork(double WalBytes, double FullPageImages, double BlocksRead, double BlocksHit)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"PostgreSQL per request: WAL {WalBytes:F0} B, full-page images {FullPageImages:F2}, blocks read {BlocksRead:F2}, hit {BlocksHit:F0}");
}

/// <summary>
/// Reads the server's counters (pg_stat_wal, pg_stat_database) around a run, so a slowdown as the
/// data grows can be told apart: more WAL per request (index pages written whole after each
/// checkpoint) or reads that no longer fit the buffer cache. Counters are server-wide: only our
/// runs are measured (the peers' databases are left out of the block counts, and idle meanwhile).
/// </summary>
public static class PgWorkMeter
{
    private static readonly TimeSpan Flush = TimeSpan.FromSeconds(1.5);
    private static readonly ConditionalWeakTable<SystemFixture, NpgsqlDataSource> Admins = [];

    private sealed record Sample(long WalBytes, long FullPageImages, long BlocksRead, long BlocksHit);

    public static async Task<(T Result, PgWork Work)> DuringAsync<T>(SystemFixture system, Func<Task<T>> run, Func<T, long> requests)
    {
        var db = await AdminAsync(system);
        // A backend reports its counters at most once a second, and within about a second of going idle.
        await Task.Delay(Flush);
        var before = await SampleAsync(db);
        var result = await run();
        await Task.Delay(Flush);
        var after = await SampleAsync(db);
        double per = Math.Max(1, requests(result));
        return (result, new PgWork((after.WalBytes - before.WalBytes) / per, (after.FullPageImages - before.FullPageImages) / per,
            (after.BlocksRead - before.BlocksRead) / per, (after.BlocksHit - before.BlocksHit) / per));
    }

    /// <summary>
    /// <c>BENCH_PG_SETTINGS="wal_compression=lz4;checkpoint_timeout=15min"</c>: server settings tried on this
    /// system only (ALTER SYSTEM in its own fresh data directory, then a reload), to measure a lever without touching the AppHost.
    /// </summary>
    public static async Task ApplySettingsAsync(SystemFixture system)
    {
        if (Environment.GetEnvironmentVariable("BENCH_PG_SETTINGS") is not { Length: > 0 } settings)
        {
            return;
        }

        var db = await AdminAsync(system);
        foreach (var setting in settings.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (name, value) = (setting[..setting.IndexOf('=')], setting[(setting.IndexOf('=') + 1)..]);
            // ALTER SYSTEM takes no parameters: the name is checked as an identifier, the value quoted as a literal.
            if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new ArgumentException($"Not a setting name: {name}");
            }

            await using var alter = db.CreateCommand($"ALTER SYSTEM SET {name} = '{value.Replace("'", "''", StringComparison.Ordinal)}'");
            await alter.ExecuteNonQueryAsync();
        }

        await using var reload = db.CreateCommand("SELECT pg_reload_conf()");
        await reload.ExecuteNonQueryAsync();
        Console.WriteLine($"PostgreSQL settings for this system: {settings}");
    }

    private static async Task<NpgsqlDataSource> AdminAsync(SystemFixture system)
    {
        if (Admins.TryGetValue(system, out var known))
        {
            return known;
        }

        var db = NpgsqlDataSource.Create(await Targets.AdminConnectionStringAsync(system));
        Admins.AddOrUpdate(system, db);
        return db;
    }

    private static async Task<Sample> SampleAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand("""
            SELECT w.wal_bytes::bigint, w.wal_fpi, d.blks_read, d.blks_hit
            FROM pg_stat_wal w,
                 (SELECT sum(blks_read)::bigint AS blks_read, sum(blks_hit)::bigint AS blks_hit FROM pg_stat_database WHERE datname NOT LIKE '%\_bench') d
            """);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new Sample(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }
}
