using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Security;
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

/// <summary>What a reservation of one attempt found.</summary>
/// <param name="Allowed">False when a key is locked or its limit is taken: no code may be looked up.</param>
/// <param name="SessionMisses">The session's count with this attempt.</param>
/// <param name="GlobalMisses">Everyone's count this minute with this attempt.</param>
public sealed record GuessReservation(bool Allowed, int SessionMisses, int GlobalMisses);

/// <summary>
/// A user code has about 34.5 bits and a guess may hit any live code (RFC 8628 §5.1), so wrong codes
/// are limited per session, per user, per address and globally. Every attempt is counted before the
/// code is looked up (in one transaction that refuses it when any key is locked or at its limit), so
/// parallel requests cannot slip past a limit; a right code gives its count back. A key that reaches
/// its limit with a wrong code is locked for a while, and a locked key looks up nothing, so the right
/// code found by luck after the limit is refused too. Past the global alert rate an alert event is
/// written: many addresses guessing together.
/// </summary>
public sealed class DeviceGuessLimits(NpgsqlDataSource dataSource, IAuditSink audit, DeviceGuessSettings settings)
{
    private const string Global = "global";

    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>Counts one attempt under every key, or none when any key is locked or at its limit.</summary>
    public Task<GuessReservation> ReserveAsync(Guesser guesser, CancellationToken cancellationToken) =>
        dataSource.InTransactionAsync(async tx =>
        {
            int session = 0, global = 0;
            foreach (var (key, scope, window, limit, _) in Keys(guesser))
            {
                // A new window starts from nothing (unless the key is locked); otherwise the count grows only below the limit.
                var counted = await tx.Connection!.QuerySingleOrDefaultAsync<int?>(new CommandDefinition("""
                    INSERT INTO device_guess (key, window_start, misses) VALUES (@key, now(), 1)
                    ON CONFLICT (key) DO UPDATE SET
                        misses = CASE WHEN device_guess.window_start + @window <= now() THEN 1 ELSE device_guess.misses + 1 END,
                        window_start = CASE WHEN device_guess.window_start + @window <= now() THEN now() ELSE device_guess.window_start END
                    WHERE coalesce(device_guess.locked_until, '-infinity') <= now()
                        AND (device_guess.window_start + @window <= now() OR device_guess.misses < @limit)
                    RETURNING misses
                    """, new { key, window, limit }, tx, cancellationToken: cancellationToken));
                if (counted is not { } misses)
                {
                    return new GuessReservation(false, 0, 0);
                }

                session = scope == "session" ? misses : session;
                global = scope == Global ? misses : global;
            }

            return new GuessReservation(true, session, global);
        }, commit: reservation => reservation.Allowed, cancellationToken);

    /// <summary>
    /// The code was right (or never judged): the attempt is no miss, its count is given back. Key by key,
    /// each on its own, so no row lock is held while another is awaited (reservations lock in this order).
    /// </summary>
    public async Task RefundAsync(Guesser guesser, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        foreach (var (key, _, _, _, _) in Keys(guesser))
        {
            await connection.ExecuteAsync(new CommandDefinition("UPDATE device_guess SET misses = greatest(misses - 1, 0) WHERE key = @key",
                new { key }, cancellationToken: cancellationToken));
        }
    }

    /// <summary>The code was wrong: locks the keys at their limit and audits it all, in one transaction.</summary>
    public Task RecordMissAsync(Guesser guesser, GuessReservation reservation, CancellationToken cancellationToken) =>
        dataSource.InTransactionAsync(async tx =>
        {
            foreach (var (key, scope, _, limit, lockFor) in Keys(guesser))
            {
                // Only the miss that finds the key at its limit and unlocked locks it (and says so once).
                var until = await tx.Connection!.QuerySingleOrDefaultAsync<DateTime?>(new CommandDefinition("""
                    UPDATE device_guess SET locked_until = CASE WHEN @fromWindow THEN window_start + @lockFor ELSE now() + @lockFor END
                    WHERE key = @key AND misses >= @limit AND coalesce(locked_until, '-infinity') <= now()
                    RETURNING locked_until
                    """, new { key, limit, lockFor, fromWindow = scope == Global }, tx, cancellationToken: cancellationToken));
                if (until is { } lockedUntil)
                {
                    await audit.WriteAsync(tx, new DeviceVerificationLocked(scope, key.Split(':', 2)[1], new DateTimeOffset(DateTime.SpecifyKind(lockedUntil, DateTimeKind.Utc)))
                    {
                        Actor = new AuditActor(guesser.UserSysId, null, null),
                        Outcome = AuditOutcome.Failure,
                        Reason = $"{limit} wrong user codes",
                        RemoteAddress = guesser.Address,
                    }, cancellationToken);
                }
            }

            // Past the alert rate, and again for every further rate's worth while it lasts.
            var global = reservation.GlobalMisses;
            if (global > settings.AlertPerMinute && (global - settings.AlertPerMinute - 1) % settings.AlertPerMinute == 0)
            {
                await audit.WriteAsync(tx, new UserCodeGuessingDetected(global, DateTimeOffset.UtcNow)
                {
                    Outcome = AuditOutcome.Failure,
                    Reason = $"more than {settings.AlertPerMinute} wrong user codes in a minute from everyone together",
                    RemoteAddress = guesser.Address,
                }, cancellationToken);
            }

            await audit.WriteAsync(tx, new UserCodeRejected(guesser.UserSysId, guesser.SessionKey, reservation.SessionMisses)
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
            yield return ($"address:{AddressKeys.Of(address)}", "address", Hour, settings.PerAddress, Hour);
        }

        yield return ($"{Global}:{Global}", Global, Minute, settings.CeilingPerMinute, Minute);
    }
}
