using OAuthAspire.ServiceDefaults.Data;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;

namespace OAuthAspire.ServiceDefaults.Messaging;

public sealed class OutboxOptions
{
    /// <summary>Rows published per round trip.</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>Longest sleep between polls when no notification arrives.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one publish may wait for the broker's confirmation.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Sent rows are deleted after this long.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>
/// Publishes committed outbox rows: each row's CloudEvent, byte for byte, to this service's audit
/// exchange (which feeds the stream), with the broker's confirmations pipelined per batch; and, for
/// the events some service acts on (<see cref="AuditStream.ConsumedInside"/>), the event through
/// MassTransit to its type's exchange. A batch is marked sent up to its first failure. Rows go out in
/// id order, which within one chain is position order. Exactly one relay per database runs at a time,
/// whatever the number of replicas: the others wait on a PostgreSQL advisory lock. When the broker or
/// the database is away it backs off and resumes where it stopped; a crash between publish and mark
/// can repeat events, which carry stable ids (and chain positions) for consumers to drop.
/// </summary>
internal sealed class OutboxRelay(
    NpgsqlDataSource dataSource,
    IBus bus,
    AuditChains chains,
    IConfiguration configuration,
    IOptions<OutboxOptions> options,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private const long RelayLockId = 0x0A0A_5EED_0002;

    // Not yet on the stream, in id order (within a chain, position order).
    private const string SelectBatchSql = """
        SELECT id, event_id, message_type, body, payload::text FROM outbox
        WHERE sent_at IS NULL AND NOT streamed ORDER BY id LIMIT $1
        """;

    // On the stream, still owed to the services that act on them.
    private const string SelectInsideSql = """
        SELECT id, event_id, message_type, body, payload::text FROM outbox
        WHERE sent_at IS NULL AND streamed ORDER BY id LIMIT $1
        """;

    private const string MarkSentSql = "UPDATE outbox SET sent_at = now(), streamed = true WHERE id = ANY($1)";
    private const string MarkStreamedSql = "UPDATE outbox SET streamed = true WHERE id = ANY($1)";

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    private readonly OutboxOptions _options = options.Value;
    private readonly AuditPublisher _publisher = new(configuration.GetConnectionString(Bus.ConnectionName)
        ?? throw new InvalidOperationException($"Connection string '{Bus.ConnectionName}' is missing."), chains.Service);

    private DateTimeOffset _nextCleanup = DateTimeOffset.MinValue;
    private TimeSpan _backoff = FirstBackoff;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var publisher = _publisher;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunWhileLeaderAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("Audit relay paused ({Reason}); retrying in {Delay} ms", e.Message, (int)_backoff.TotalMilliseconds);
                await Task.Delay(_backoff, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                _backoff = TimeSpan.FromMilliseconds(Math.Min(_backoff.TotalMilliseconds * 2, MaxBackoff.TotalMilliseconds));
            }
        }
    }

    private async Task RunWhileLeaderAsync(CancellationToken stoppingToken)
    {
        // This connection holds the lock and listens; closing it (or losing it) releases both.
        await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
        if (!await TryLockAsync(connection, stoppingToken))
        {
            await Task.Delay(_options.PollInterval * 2, stoppingToken);
            return;
        }

        // A notification can arrive while the relay is busy (delivered during its own commands);
        // remember it, or the next wait would sleep through rows that are already there.
        var notified = false;
        connection.Notification += (_, _) => notified = true;
        try
        {
            logger.LogInformation("Audit relay started for this database");
            await using (var listen = new NpgsqlCommand("LISTEN outbox", connection))
            {
                await listen.ExecuteNonQueryAsync(stoppingToken);
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                notified = false;
                var published = await PublishBatchAsync(connection, stoppingToken);
                if (published == _options.BatchSize || (notified && published > 0))
                {
                    continue;
                }

                await CleanupIfDueAsync(connection, stoppingToken);
                // Wakes on the next committed insert's notification, or polls anyway.
                await connection.WaitAsync(_options.PollInterval, stoppingToken);
            }
        }
        finally
        {
            await ReleaseAsync(connection);
        }
    }

    /// <summary>
    /// Gives up the lock before the connection goes back to the pool: a session lock left on an
    /// idle pooled connection would keep every relay of this database (this one included) waiting.
    /// </summary>
    private static async Task ReleaseAsync(NpgsqlConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            await using var release = new NpgsqlCommand($"UNLISTEN outbox; SELECT pg_advisory_unlock({RelayLockId})", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // A broken connection is closed rather than pooled, which ends the session and its lock.
        }
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT pg_try_advisory_lock({RelayLockId})", connection);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// One round: the next rows onto the stream (marked sent, or streamed when a service still has to
    /// hear of them inside), then the rows owed inside. The two never hold each other up: an event
    /// MassTransit cannot take (the bus away, a type it cannot read) waits on its own while the stream
    /// moves on. Returns how many rows the stream pass read.
    /// </summary>
    private async Task<int> PublishBatchAsync(NpgsqlConnection connection, CancellationToken stoppingToken)
    {
        var rows = await ReadAsync(connection, SelectBatchSql, stoppingToken);
        if (rows.Count > 0)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(_options.PublishTimeout);
            var confirmed = await _publisher.PublishAsync(rows, timeout.Token);
            var done = rows.Take(confirmed).ToList();
            await MarkAsync(connection, MarkSentSql, [.. done.Where(r => !AuditStream.ConsumedInside.Contains(r.Type)).Select(r => r.Id)], stoppingToken);
            await MarkAsync(connection, MarkStreamedSql, [.. done.Where(r => AuditStream.ConsumedInside.Contains(r.Type)).Select(r => r.Id)], stoppingToken);
            _backoff = FirstBackoff;
        }

        await PublishInsideAsync(connection, stoppingToken);
        return rows.Count;
    }

    private async Task PublishInsideAsync(NpgsqlConnection connection, CancellationToken stoppingToken)
    {
        var owed = await ReadAsync(connection, SelectInsideSql, stoppingToken);
        var sent = new List<long>(owed.Count);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(_options.PublishTimeout);
            foreach (var row in owed)
            {
                await PublishInsideAsync(row, timeout.Token);
                sent.Add(row.Id);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // In order: the rest wait for this one. The stream is not held up.
            logger.LogWarning("Audit events for the services that act on them are waiting ({Reason})", e.Message);
        }
        finally
        {
            await MarkAsync(connection, MarkSentSql, [.. sent], CancellationToken.None);
        }
    }

    private async Task<List<OutboxRow>> ReadAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        var rows = new List<OutboxRow>(_options.BatchSize);
        await using var select = new NpgsqlCommand(sql, connection);
        select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _options.BatchSize });
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if ((reader.IsDBNull(3) ? Unchained(reader.GetInt64(0), reader.GetString(2), reader.IsDBNull(4) ? null : reader.GetString(4)) : reader.GetFieldValue<byte[]>(3))
                is not { } body)
            {
                continue;
            }

            rows.Add(new OutboxRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), body));
        }

        return rows;
    }

    /// <summary>Through MassTransit to the event type's exchange, for the services that act on it (not the stream).</summary>
    private async Task PublishInsideAsync(OutboxRow row, CancellationToken cancellationToken)
    {
        var type = AuditCatalog.Resolve(row.Type)
            // Written by a newer version of the service; skipping it would lose it, so stop here.
            ?? throw new InvalidOperationException($"Unknown audit event type '{row.Type}' in the outbox.");
        using var document = JsonDocument.Parse(row.Body);
        var message = (AuditEvent)document.RootElement.GetProperty("data").Deserialize(type, AuditCloudEvent.DataJson)!;
        await bus.Publish(message, type, Pipe.Execute<PublishContext>(c => c.MessageId = row.EventId), cancellationToken);
    }

    // A row written before chains existed holds the event's JSON only. One that cannot be read (a type
    // this version does not know) is left where it is, said once a round, and holds nothing else up.
    private byte[]? Unchained(long id, string typeName, string? payload)
    {
        try
        {
            var type = AuditCatalog.Resolve(typeName) ?? throw new InvalidOperationException($"unknown audit event type '{typeName}'");
            var auditEvent = (AuditEvent?)JsonSerializer.Deserialize(payload ?? "null", type, AuditCloudEvent.DataJson)
                ?? throw new InvalidOperationException("no payload");
            return AuditCloudEvent.WriteUnchained(auditEvent, chains.Issuer);
        }
        catch (Exception e) when (e is InvalidOperationException or JsonException or NotSupportedException)
        {
            logger.LogError("Audit outbox row {Id} cannot be published ({Reason}); it stays in the outbox", id, e.Message);
            return null;
        }
    }

    private static async Task MarkAsync(NpgsqlConnection connection, string sql, long[] ids, CancellationToken cancellationToken)
    {
        if (ids.Length == 0)
        {
            return;
        }

        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task CleanupIfDueAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (DateTimeOffset.UtcNow < _nextCleanup)
        {
            return;
        }

        _nextCleanup = DateTimeOffset.UtcNow.AddHours(1);
        // In batches: each a short statement, so no long transaction holds the table (or the WAL) for the writers.
        int deleted = 0, batch;
        do
        {
            batch = await BatchedPurge.DeleteBatchAsync(connection, "outbox", "sent_at < now() - $1", cancellationToken,
                new NpgsqlParameter<TimeSpan> { TypedValue = _options.Retention });
            deleted += batch;
        }
        while (batch == BatchedPurge.BatchSize);

        if (deleted > 0)
        {
            logger.LogInformation("Audit outbox: deleted {Count} sent row(s) older than {Retention}", deleted, _options.Retention);
        }
    }
}
