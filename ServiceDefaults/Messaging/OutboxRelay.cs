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

    private const string SelectBatchSql = """
        SELECT id, event_id, message_type, body, payload::text, streamed FROM outbox
        WHERE sent_at IS NULL ORDER BY id LIMIT $1
        """;

    private const string MarkSentSql = "UPDATE outbox SET sent_at = now(), streamed = true WHERE id = ANY($1)";
    private const string MarkStreamedSql = "UPDATE outbox SET streamed = true WHERE id = ANY($1)";
    private const string CleanupSql = "DELETE FROM outbox WHERE sent_at < now() - $1";

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

    private async Task<int> PublishBatchAsync(NpgsqlConnection connection, CancellationToken stoppingToken)
    {
        var rows = new List<OutboxRow>(_options.BatchSize);
        await using (var select = new NpgsqlCommand(SelectBatchSql, connection))
        {
            select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _options.BatchSize });
            await using var reader = await select.ExecuteReaderAsync(stoppingToken);
            while (await reader.ReadAsync(stoppingToken))
            {
                var body = reader.IsDBNull(3) ? Unchained(reader.GetString(2), reader.GetString(4)) : reader.GetFieldValue<byte[]>(3);
                rows.Add(new OutboxRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), body, reader.GetBoolean(5)));
            }
        }

        if (rows.Count == 0)
        {
            return 0;
        }

        // Done: on the stream and, for an event some service acts on, published inside too. Rows are
        // marked in order up to the first that is not, so nothing is skipped; one already on the stream
        // is never sent there again for its inside publish.
        var done = 0;
        var streamed = new List<long>();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(_options.PublishTimeout);
            var toStream = rows.Where(r => !r.Streamed).ToList();
            var confirmed = toStream.Count == 0 ? 0 : await _publisher.PublishAsync(toStream, timeout.Token);
            streamed.AddRange(toStream.Take(confirmed).Select(r => r.Id));
            var onStream = streamed.ToHashSet();
            foreach (var row in rows)
            {
                if (!row.Streamed && !onStream.Contains(row.Id))
                {
                    break;
                }

                if (AuditStream.ConsumedInside.Contains(row.Type))
                {
                    await PublishInsideAsync(row, timeout.Token);
                }

                done++;
            }
        }
        finally
        {
            var sent = rows.Take(done).Select(r => r.Id).ToArray();
            if (sent.Length > 0)
            {
                await MarkAsync(connection, MarkSentSql, sent, CancellationToken.None);
                _backoff = FirstBackoff;
            }

            var owed = streamed.Except(sent).ToArray();
            if (owed.Length > 0)
            {
                await MarkAsync(connection, MarkStreamedSql, owed, CancellationToken.None);
            }
        }

        return rows.Count;
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

    // A row written before chains existed holds the event's JSON only.
    private byte[] Unchained(string typeName, string payload)
    {
        var type = AuditCatalog.Resolve(typeName) ?? throw new InvalidOperationException($"Unknown audit event type '{typeName}' in the outbox.");
        return AuditCloudEvent.WriteUnchained((AuditEvent)JsonSerializer.Deserialize(payload, type, AuditCloudEvent.DataJson)!, chains.Issuer);
    }

    private static async Task MarkAsync(NpgsqlConnection connection, string sql, long[] ids, CancellationToken cancellationToken)
    {
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
        await using var command = new NpgsqlCommand(CleanupSql, connection);
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = _options.Retention });
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        if (deleted > 0)
        {
            logger.LogInformation("Audit outbox: deleted {Count} sent row(s) older than {Retention}", deleted, _options.Retention);
        }
    }
}
