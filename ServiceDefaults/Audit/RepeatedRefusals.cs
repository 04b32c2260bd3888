using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.ServiceDefaults.Audit;

/// <summary>
/// Anyone can make a service refuse them, as often as they like: written one row each, a flood of
/// identical refusals would push real history out of the size-capped audit stream. So the first of a
/// kind (same event, fields, reason, actor and address) in a window is written as it happens, the
/// repeats are only counted, and one <see cref="RefusalsRepeated"/> with the count follows when the
/// window closes. Only refusals written on their own (no state change) are coalesced; credential
/// guessing (<see cref="PerAttempt"/>) keeps one event per attempt, as lockout evidence.
/// </summary>
public sealed class RepeatedRefusals(TimeProvider time, TimeSpan window, int capacity = 10_000)
{
    public static readonly IReadOnlySet<string> PerAttempt = new HashSet<string>(StringComparer.Ordinal)
    {
        nameof(LoginFailed), nameof(AccountLocked), nameof(PasswordGrantFailed), nameof(RateLimited), nameof(RefusalsRepeated),
    };

    private readonly ConcurrentDictionary<string, Tally> _open = new(StringComparer.Ordinal);

    public TimeSpan Window => window;

    /// <summary>True when the event is to be written now; false when it repeats one written in the open window (then counted).</summary>
    public bool Admit(AuditEvent auditEvent)
    {
        if (auditEvent.Outcome != AuditOutcome.Failure || PerAttempt.Contains(auditEvent.Type))
        {
            return true;
        }

        var key = KeyOf(auditEvent);
        var now = time.GetUtcNow();
        if (_open.TryGetValue(key, out var tally) && now < tally.First + window)
        {
            Interlocked.Increment(ref tally.Repeats);
            return false;
        }

        // Full: write through rather than grow (the flush empties it).
        if (_open.Count < capacity)
        {
            _open[key] = new Tally(auditEvent, now);
        }

        return true;
    }

    /// <summary>The counts of windows that have closed, as events to write; their tallies are forgotten.</summary>
    public IReadOnlyList<RefusalsRepeated> Closed()
    {
        var now = time.GetUtcNow();
        var closed = new List<RefusalsRepeated>();
        foreach (var (key, tally) in _open)
        {
            if (now >= tally.First + window && _open.TryRemove(key, out _) && Volatile.Read(ref tally.Repeats) is var repeats and > 0)
            {
                closed.Add(new RefusalsRepeated(tally.Event.Type, repeats, tally.First, tally.First + window)
                {
                    Actor = tally.Event.Actor,
                    RemoteAddress = tally.Event.RemoteAddress,
                    Outcome = AuditOutcome.Failure,
                    Reason = tally.Event.Reason,
                });
            }
        }

        return closed;
    }

    /// <summary>The event without what differs between identical repeats (id, time, trace).</summary>
    private static string KeyOf(AuditEvent auditEvent) =>
        JsonSerializer.Serialize(auditEvent with { EventId = Guid.Empty, OccurredAt = default, TraceId = null }, auditEvent.GetType(), AuditCloudEvent.DataJson);

    private sealed class Tally(AuditEvent auditEvent, DateTimeOffset first)
    {
        public int Repeats;

        public AuditEvent Event { get; } = auditEvent;

        public DateTimeOffset First { get; } = first;
    }
}

/// <summary>Writes the counts of closed windows every few seconds.</summary>
public sealed class RepeatedRefusalsFlush(RepeatedRefusals refusals, IAuditSink audit, ILogger<RepeatedRefusalsFlush> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Clamp(refusals.Window.TotalSeconds / 4, 0.5, 5)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var summary in refusals.Closed())
            {
                try
                {
                    await audit.WriteAsync(summary, stoppingToken);
                }
                catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
                {
                    logger.LogWarning("Could not record {Count} repeated {Type} refusal(s): {Reason}", summary.Count, summary.EventType, e.Message);
                }
            }
        }
    }
}
