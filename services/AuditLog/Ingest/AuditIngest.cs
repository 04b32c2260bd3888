using Microsoft.Extensions.Options;
using OAuthAspire.AuditLog.Events;
using OAuthAspire.AuditTail;
using OAuthAspire.Contracts.Audit;
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
/// Expired rows are purged once an hour.
/// </summary>
public sealed class AuditIngest(AuditEventStore store, IConfiguration configuration, IOptions<AuditLogOptions> options, ILogger<AuditIngest> logger)
    : BackgroundService
{
    private static readonly TimeSpan PurgeEvery = TimeSpan.FromHours(1);
    private DateTimeOffset _nextPurge = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var broker = new Uri(configuration.GetConnectionString(Bus.ConnectionName)
            ?? throw new InvalidOperationException($"Connection string '{Bus.ConnectionName}' is missing."));
        var pause = TimeSpan.FromMilliseconds(250);
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
                logger.LogWarning("Reading the audit stream stopped ({Reason}); retrying in {Pause}", e.Message, pause);
                await Task.Delay(pause, stoppingToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private async Task FollowAsync(Uri broker, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var last = await store.LastPositionAsync(stoppingToken);
        StartAt from = last is { } position ? new StartAt.Offset(position + 1) : new StartAt.Time(DateTimeOffset.UtcNow - settings.Retention);
        await using var follower = await StreamFollower.OpenAsync(broker, settings.Stream, from, stoppingToken);
        logger.LogInformation("Following the audit stream from {From}", from);

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

            await store.AddAsync(batch, stoppingToken);
            // Catching up on a long stream is a long operation: say how far it got.
            if ((stored + batch.Count) / 10_000 > stored / 10_000)
            {
                logger.LogInformation("Audit log: {Stored} events stored since start, last position {Position}", stored + batch.Count, batch[^1].Position);
            }

            stored += batch.Count;
            batch.Clear();
            await PurgeWhenDueAsync(settings, stoppingToken);
        }

        // The channel completed without an error: the follower was closed (the connection went away).
        throw new IOException("the stream connection closed");
    }

    private async Task PurgeWhenDueAsync(AuditLogOptions settings, CancellationToken stoppingToken)
    {
        if (DateTimeOffset.UtcNow < _nextPurge)
        {
            return;
        }

        _nextPurge = DateTimeOffset.UtcNow + PurgeEvery;
        var purged = await store.PurgeAsync(DateTimeOffset.UtcNow - settings.Retention, stoppingToken);
        if (purged > 0)
        {
            logger.LogInformation("Audit log: purged {Count} events older than {Retention}", purged, settings.Retention);
        }
    }
}
