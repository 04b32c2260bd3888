using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Authorize.Authorization;

/// <summary><c>Device:*</c> limits on wrong user codes.</summary>
/// <param name="PerSession">Wrong codes a sign-in session may type before it is locked for <paramref name="SessionLock"/>.</param>
/// <param name="PerUser">Wrong codes per user per hour.</param>
/// <param name="PerAddress">Wrong codes per address per hour.</param>
/// <param name="AlertPerMinute">Wrong codes from everyone in a minute past which an alert event is written.</param>
/// <param name="CeilingPerMinute">Wrong codes from everyone in a minute past which nobody may look up a code until the minute ends.</param>
public sealed record DeviceGuessSettings(int PerSession, TimeSpan SessionLock, int PerUser, int PerAddress, int AlertPerMinute, int CeilingPerMinute)
{
    public static DeviceGuessSettings From(IConfiguration configuration) => new(
        Math.Max(1, configuration.GetValue("Device:GuessesPerSession", 5)),
        configuration.GetValue("Device:SessionLock", TimeSpan.FromMinutes(15)),
        Math.Max(1, configuration.GetValue("Device:GuessesPerUser", 10)),
        Math.Max(1, configuration.GetValue("Device:GuessesPerAddress", 20)),
        Math.Max(1, configuration.GetValue("Device:GuessAlertPerMinute", 300)),
        Math.Max(1, configuration.GetValue("Device:GuessCeilingPerMinute", 3000)));
}

/// <summary>Who typed a code: the keys its misses count under.</summary>
public sealed record Guesser(string UserSysId, string Sid, string? Address)
{
    /// <summary>The session in the audit trail and the counters: a hash of its sid, never the cookie.</summary>
    public string SessionKey { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sid)).AsSpan(0, 8));
}

/// <summary>
/// A user code has about 34.5 bits and a guess may hit any live code (RFC 8628 §5.1), so wrong codes
/// are limited per session, per user, per address and globally. Each limit locks its key for a while;
/// a locked key looks up nothing, so the right code found by luck after the limit is refused too. A
/// global rate past the alert threshold writes an alert event: many addresses guessing together.
/// </summary>
public sealed class DeviceGuessLimits(NpgsqlDataSource dataSource, IAuditSink audit, DeviceGuessSettings settings)
{
    private const string Global = "global";

    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>The scope (session, user, address, global) locked for this guesser, or null when it may look up a code.</summary>
    public async Task<string?> LockedAsync(Guesser guesser, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var locked = await connection.QueryFirstOrDefaultAsync<string?>(new CommandDefinition("""
            SELECT key FROM device_guess WHERE key = ANY(@keys) AND locked_until > now() LIMIT 1
            """, new { keys = Keys(guesser).Select(k => k.Key).ToArray() }, cancellationToken: cancellationToken));
        return locked?.Split(':', 2)[0];
    }

    /// <summary>Counts a wrong code under every key, locks those past their limit, and audits it all in one transaction.</summary>
    public Task RecordMissAsync(Guesser guesser, CancellationToken cancellationToken) =>
        dataSource.InTransactionAsync(async tx =>
        {
            var sessionMisses = 0;
            foreach (var (key, scope, window, limit, lockFor) in Keys(guesser))
            {
                var (misses, windowStart) = await tx.Connection!.QuerySingleAsync<(int, DateTime)>(new CommandDefinition("""
                    INSERT INTO device_guess (key, window_start, misses) VALUES (@key, now(), 1)
                    ON CONFLICT (key) DO UPDATE SET
                        misses = CASE WHEN device_guess.window_start + @window <= now() THEN 1 ELSE device_guess.misses + 1 END,
                        window_start = CASE WHEN device_guess.window_start + @window <= now() THEN now() ELSE device_guess.window_start END
                    RETURNING misses, window_start
                    """, new { key, window }, tx, cancellationToken: cancellationToken));
                sessionMisses = scope == "session" ? misses : sessionMisses;
                // Past the alert rate, and again for every further rate's worth while it lasts.
                if (scope == Global && misses > settings.AlertPerMinute && (misses - settings.AlertPerMinute - 1) % settings.AlertPerMinute == 0)
                {
                    await audit.WriteAsync(tx, new UserCodeGuessingDetected(misses, new DateTimeOffset(DateTime.SpecifyKind(windowStart, DateTimeKind.Utc)))
                    {
                        Outcome = AuditOutcome.Failure,
                        Reason = $"more than {settings.AlertPerMinute} wrong user codes in a minute from everyone together",
                        RemoteAddress = guesser.Address,
                    }, cancellationToken);
                }

                if (misses >= limit)
                {
                    // The global lock ends with its minute; the others run from the miss that crossed the limit.
                    var until = await tx.Connection!.ExecuteScalarAsync<DateTime>(new CommandDefinition("""
                        UPDATE device_guess SET locked_until = CASE WHEN @fromWindow THEN window_start + @lockFor ELSE now() + @lockFor END
                        WHERE key = @key RETURNING locked_until
                        """, new { key, lockFor, fromWindow = scope == Global }, tx, cancellationToken: cancellationToken));
                    if (misses == limit)
                    {
                        await audit.WriteAsync(tx, new DeviceVerificationLocked(scope, key.Split(':', 2)[1], new DateTimeOffset(DateTime.SpecifyKind(until, DateTimeKind.Utc)))
                        {
                            Actor = new AuditActor(guesser.UserSysId, null, null),
                            Outcome = AuditOutcome.Failure,
                            Reason = $"{limit} wrong user codes",
                            RemoteAddress = guesser.Address,
                        }, cancellationToken);
                    }
                }
            }

            await audit.WriteAsync(tx, new UserCodeRejected(guesser.UserSysId, guesser.SessionKey, sessionMisses)
            {
                Actor = new AuditActor(guesser.UserSysId, null, null),
                Outcome = AuditOutcome.Failure,
                Reason = "no live device request has this user code",
                RemoteAddress = guesser.Address,
            }, cancellationToken);
        }, cancellationToken);

    public async Task PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM device_guess WHERE window_start < now() - interval '1 day' AND (locked_until IS NULL OR locked_until < now())
            """, cancellationToken: cancellationToken));
    }

    private IEnumerable<(string Key, string Scope, TimeSpan Window, int Limit, TimeSpan LockFor)> Keys(Guesser guesser)
    {
        yield return ($"session:{guesser.SessionKey}", "session", settings.SessionLock, settings.PerSession, settings.SessionLock);
        yield return ($"user:{guesser.UserSysId}", "user", Hour, settings.PerUser, Hour);
        if (guesser.Address is { } address)
        {
            yield return ($"address:{address}", "address", Hour, settings.PerAddress, Hour);
        }

        yield return ($"{Global}:{Global}", Global, Minute, settings.CeilingPerMinute, Minute);
    }
}
