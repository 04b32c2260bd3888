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
/// Publishes committed outbox rows through MassTransit, in order, marking each batch sent only
/// after the broker confirmed every message in it. Exactly one relay per database runs at a
/// time, whatever the number of replicas: the others wait on a PostgreSQL advisory lock. When
/// the broker or the database is away it backs off and resumes where it stopped; a crash
/// between publish and mark can repeat events, which carry stable ids for consumers to drop.
/// The audit exchanges and the stream are declared by the AppHost, never by the relay (its
/// broker login may not): each event type's exchange is bound to the stream before any service starts.
/// </summary>
internal sealed class OutboxRelay(
    NpgsqlDataSource dataSource,
    IBus bus,
    IConfiguration configuration,
    IOptions<OutboxOptions> options,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private const long RelayLockId = 0x0A0A_5EED_0002;

    // Rows whose transaction began before every transaction still running: none older can appear.
    private const string SelectBatchSql = """
        SELECT id, event_id, message_type, payload::text FROM outbox
        WHERE sent_at IS NULL AND txid < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY txid, id LIMIT $1
        """;

    private const string MarkSentSql = "UPDATE outbox SET sent_at = now() WHERE id = ANY($1)";
    private const string CleanupSql = "DELETE FROM outbox WHERE sent_at < now() - $1";

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    private readonly OutboxOptions _options = options.Value;

    // Stamped on every message as its AMQP user_id, which RabbitMQ checks against the login that
    // published it: auditors can trust which service wrote each event.
    private readonly string? _brokerUser = BrokerUserOf(configuration.GetConnectionString(Bus.ConnectionName));
    private DateTimeOffset _nextCleanup = DateTimeOffset.MinValue;
    private TimeSpan _backoff = FirstBackoff;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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
        var rows = new List<(long Id, Guid EventId, string Type, string Payload)>(_options.BatchSize);
        await using (var select = new NpgsqlCommand(SelectBatchSql, connection))
        {
            select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _options.BatchSize });
            await using var reader = await select.ExecuteReaderAsync(stoppingToken);
            while (await reader.ReadAsync(stoppingToken))
            {
                rows.Add((reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3)));
            }
        }

        if (rows.Count == 0)
        {
            return 0;
        }

        var sent = new List<long>(rows.Count);
        try
        {
            // One at a time, each awaiting the broker's confirmation: order is kept exactly.
            foreach (var row in rows)
            {
                var message = Deserialize(row.Type, row.Payload);
                if (message is not null)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    timeout.CancelAfter(_options.PublishTimeout);
                    await bus.Publish(message, message.GetType(), Pipe.Execute<PublishContext>(c =>
                    {
                        c.MessageId = row.EventId;
                        // Unroutable (no stream bound) comes back as an error instead of a silent confirm.
                        if (c.TryGetPayload<RabbitMqSendContext>(out var rabbit))
                        {
                            rabbit.Mandatory = true;
                            rabbit.BasicProperties.UserId = _brokerUser;
                        }
                    }), timeout.Token);
                }

                sent.Add(row.Id);
            }
        }
        finally
        {
            if (sent.Count > 0)
            {
                await MarkSentAsync(connection, sent, CancellationToken.None);
                _backoff = FirstBackoff;
            }
        }

        return rows.Count;
    }

    /// <summary>The login's user name in an AMQP URI (<c>amqp://user:password@host/</c>); null without one (RabbitMQ's default user).</summary>
    private static string? BrokerUserOf(string? connectionString)
    {
        if (!Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) || uri.UserInfo.Length == 0)
        {
            return null;
        }

        var user = Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]);
        return user.Length == 0 ? null : user;
    }

    private AuditEvent? Deserialize(string typeName, string payload)
    {
        var type = AuditCatalog.Resolve(typeName);
        if (type is null)
        {
            // Written by a newer version of the service; skipping it would lose it, so stop here.
            throw new InvalidOperationException($"Unknown audit event type '{typeName}' in the outbox.");
        }

        return (AuditEvent?)JsonSerializer.Deserialize(payload, type, OutboxAuditSink.Json);
    }

    private static async Task MarkSentAsync(NpgsqlConnection connection, List<long> ids, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(MarkSentSql, connection);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. ids] });
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
