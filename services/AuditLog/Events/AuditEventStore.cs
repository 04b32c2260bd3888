using System.Text;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.AuditLog.Events;

/// <summary>One stream entry as stored: its position (the stream offset) and the fields people filter on.</summary>
public sealed record AuditRow(long Position, DateTimeOffset OccurredAt, string Service, string Type, string Outcome,
    string[] Clients, string[] Users, string Data);

/// <summary>What an auditor may filter on; null is "any". <paramref name="Before"/> is the keyset cursor's position.</summary>
public sealed record AuditFilter(string? Client, string? User, string? Type, string? Outcome, string? Service, long? Before, int Limit);

/// <summary>The audit_event table: written in batches by the ingest, read newest first by the query API.</summary>
public sealed class AuditEventStore(NpgsqlDataSource dataSource)
{
    private const string Insert = """
        INSERT INTO audit_event (position, occurred_at, service, type, outcome, clients, users, data)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (position) DO NOTHING
        """;

    /// <summary>
    /// Waits until this replica holds the one ingest lock (a session advisory lock, released when the
    /// returned lock is disposed, or its connection or process dies): replicas serve queries alike,
    /// but only one follows the stream, so the work is not done twice.
    /// </summary>
    public async Task<IngestLock> TakeIngestLockAsync(Action standingBy, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var announced = false;
            while (true)
            {
                await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtext('oauthaspire audit ingest'))", connection);
                if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!)
                {
                    return new IngestLock(connection);
                }

                if (!announced)
                {
                    standingBy();
                    announced = true;
                }

                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The ingest lock held: released before its connection goes back to the pool, where it would otherwise stay held while idle.</summary>
    public sealed class IngestLock(NpgsqlConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", connection);
                await command.ExecuteNonQueryAsync();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The connection is gone, and the lock with its session.
            }

            await connection.DisposeAsync();
        }
    }

    /// <summary>The last position stored: reading resumes after it (null when empty).</summary>
    public async Task<long?> LastPositionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT max(position) FROM audit_event", cancellationToken: cancellationToken));
    }

    /// <summary>Stores a batch in one round trip; a row another replica stored already is skipped.</summary>
    public async Task AddAsync(IReadOnlyList<AuditRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var row in rows)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(Insert)
            {
                Parameters =
                {
                    new() { Value = row.Position },
                    new() { Value = row.OccurredAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                    new() { Value = row.Service },
                    new() { Value = row.Type },
                    new() { Value = row.Outcome },
                    new() { Value = row.Clients, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                    new() { Value = row.Users, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                    new() { Value = row.Data, NpgsqlDbType = NpgsqlDbType.Jsonb },
                },
            });
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Newest first; one row more than the limit tells whether a next page exists.</summary>
    public async Task<IReadOnlyList<AuditRow>> FindAsync(AuditFilter filter, CancellationToken cancellationToken)
    {
        // Only the conditions asked for, so each query can use its index (no "@x IS NULL OR" plans).
        var where = new StringBuilder("true");
        if (filter.Client is not null)
        {
            where.Append(" AND clients @> ARRAY[@Client]");
        }

        if (filter.User is not null)
        {
            where.Append(" AND users @> ARRAY[lower(@User)]");
        }

        if (filter.Type is not null)
        {
            where.Append(" AND type = @Type");
        }

        if (filter.Outcome is not null)
        {
            where.Append(" AND outcome = @Outcome");
        }

        if (filter.Service is not null)
        {
            where.Append(" AND service = @Service");
        }

        if (filter.Before is not null)
        {
            where.Append(" AND position < @Before");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Position, DateTime OccurredAt, string Service, string Type, string Outcome, string Data)>(new CommandDefinition(
            $"SELECT position, occurred_at, service, type, outcome, data::text FROM audit_event WHERE {where} ORDER BY position DESC LIMIT @Take",
            new { filter.Client, filter.User, filter.Type, filter.Outcome, filter.Service, filter.Before, Take = filter.Limit + 1 },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => new AuditRow(r.Position, DatabaseTime.Utc(r.OccurredAt), r.Service, r.Type, r.Outcome, [], [], r.Data))];
    }

    /// <summary>Deletes events older than <paramref name="cutOff"/> in batches (no long lock on the table); returns how many.</summary>
    public async Task<long> PurgeAsync(DateTimeOffset cutOff, CancellationToken cancellationToken)
    {
        long total = 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        while (true)
        {
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM audit_event WHERE position IN (SELECT position FROM audit_event WHERE occurred_at < @cutOff ORDER BY position LIMIT 10000)",
                new { cutOff = cutOff.UtcDateTime }, cancellationToken: cancellationToken));
            total += deleted;
            if (deleted < 10000)
            {
                return total;
            }
        }
    }
}
