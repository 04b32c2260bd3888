using Microsoft.Extensions.Options;
using OAuthAspire.AuditLog.Events;
using OAuthAspire.AuditTail;
using OAuthAspire.Contracts.Audit;
using Npgsql;
using OAuthAspire.ServiceDefaults.Messaging;

namespace OAuthAspire.AuditLog.Ingest;

/// <summary>How far back the log keeps events, and how far back an empty log starts reading the stream.</summary>
public sealed class AuditLogOptions
{
    public const string Section = "AuditLog";

    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The stream's name, when the AppHost names it otherwise (<c>Audit:Stream:Name</c>).</summary>
    public string Stream { get; set; } = AuditStream.StreamName;

    /// <summary>The most entries written in one round trip.</summary>
    public int BatchSize { get; set; } = 500;
}

/// <summary>
/// Follows the audit stream, as an auditor does (read-only, with this service's broker login), into the
/// audit_event table: after the last position stored, or from <see cref="AuditLogOptions.Retention"/> ago
/// when the table is empty. Rows are written in batches; when the broker or the database goes away it
/// reconnects and resumes after the last stored row, so nothing is skipped and nothing counted twice.
/// A row PostgreSQL refuses is named in the log and passed over (it stays on the stream): one event
/// must never stop the log. Of several replicas one follows (it holds a PostgreSQL advisory lock), the
/// others stand by and query alike.
/// </summary>
public sealed class AuditIngest(AuditEventStore store, IConfiguration configuration, IOptions<AuditLogOptions> options, ILogger<AuditIngest> logger)
    : BackgroundService
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(250);
    private TimeSpan _pause = FirstPause;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var broker = new Uri(configuration.GetConnectionString(Bus.ConnectionName)
            ?? throw new InvalidOperationException($"Connection string '{Bus.ConnectionName}' is missing."));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await FollowAsync(broker, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The stream not declared yet, the broker restarting, the database away: try again, slower each time.
                logger.LogWarning("Reading the audit stream stopped ({Reason}); retrying in {Pause}", e.Message, _pause);
                await Task.Delay(_pause, stoppingToken);
                _pause = TimeSpan.FromTicks(Math.Min(_pause.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private async Task FollowAsync(Uri broker, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        // One replica follows at a time; the others take over within seconds of its going away.
        await using var ingestLock = await store.TakeIngestLockAsync(
            () => logger.LogInformation("Another replica follows the audit stream; this one stands by"), stoppingToken);
        var last = await store.LastPositionAsync(stoppingToken);
        StartAt from = last is { } position ? new StartAt.Offset(position + 1) : new StartAt.Time(DateTimeOffset.UtcNow - settings.Retention);
        await using var follower = await StreamFollower.OpenAsync(broker, settings.Stream, from, stoppingToken);
        logger.LogInformation("Following the audit stream from {From}", from);
        _pause = FirstPause;

        var batch = new List<AuditRow>(settings.BatchSize);
        long stored = 0;
        while (await follower.Entries.WaitToReadAsync(stoppingToken))
        {
            while (batch.Count < settings.BatchSize && follower.Entries.TryRead(out var entry))
            {
                if (StreamRecords.From(entry) is { } row)
                {
                    batch.Add(row);
                }
            }

            await StoreAsync(batch, stoppingToken);
            // Catching up on a long stream is a long operation: say how far it got.
            if ((stored + batch.Count) / 10_000 > stored / 10_000)
            {
                logger.LogInformation("Audit log: {Stored} events stored since start, last position {Position}", stored + batch.Count, batch[^1].Position);
            }

            stored += batch.Count;
            batch.Clear();
        }

        // The channel completed without an error: the follower was closed (the connection went away).
        throw new IOException("the stream connection closed");
    }

    /// <summary>The batch in one round trip; when PostgreSQL refuses a row, the others one by one and that one named.</summary>
    private async Task StoreAsync(List<AuditRow> batch, CancellationToken stoppingToken)
    {
        try
        {
            await store.AddAsync(batch, stoppingToken);
        }
        catch (PostgresException)
        {
            foreach (var row in batch)
            {
                try
                {
                    await store.AddAsync([row], stoppingToken);
                }
                catch (PostgresException refused)
                {
                    logger.LogError("Audit log: the {Type} event at stream position {Position} cannot be stored ({Reason}); passed over, it stays on the stream",
                        row.Type, row.Position, refused.MessageText);
                }
            }
        }
    }
}

/// <summary>Once at start and then every hour: events older than <see cref="AuditLogOptions.Retention"/> are deleted in batches.</summary>
public sealed class AuditLogHousekeeping(AuditEventStore store, IOptions<AuditLogOptions> options, ILogger<AuditLogHousekeeping> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                var retention = options.Value.Retention;
                var purged = await store.PurgeAsync(DateTimeOffset.UtcNow - retention, stoppingToken);
                if (purged > 0)
                {
                    logger.LogInformation("Audit log: purged {Count} events older than {Retention}", purged, retention);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Audit log housekeeping failed: {Reason}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
