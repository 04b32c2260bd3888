using Dapper;
using Npgsql;
using OAuthAspire.ServiceDefaults.Security;

namespace OAuthAspire.Directory.Users;

/// <summary>
/// Failed passwords counted per typed user name, whether or not such a user exists, so a wrong
/// password for a real account and any password for an unknown name cost the same reads and the same
/// write (and lock the same way). Rows are keyed by a keyed hash of the lowercased name: a password
/// typed into the user-name field is never stored.
/// </summary>
public sealed class LoginFailures(NpgsqlDataSource dataSource, IConfiguration configuration)
{
    private readonly KeyedHash _names = KeyedHash.FromConfiguration(configuration, KeyedHash.LoginFailurePurpose);

    /// <summary>The counter's key for a typed (or stored) user name; case does not matter, as for look-ups.</summary>
    public byte[] KeyOf(string userName) => _names.Of(userName.ToLowerInvariant());

    /// <summary>The name's current count; (0, null) when it has none.</summary>
    public async Task<(int Failures, DateTime? LockedUntil)> ReadAsync(byte[] key, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<(int, DateTime?)>(new CommandDefinition(
            "SELECT failures, locked_until FROM login_failure WHERE name_key = @key", new { key }, cancellationToken: cancellationToken));
    }

    /// <summary>Counts a failed password within the lockout window, locking the name at the limit.</summary>
    public async Task<(int Failures, DateTime? LockedUntil)> RecordAsync(byte[] key, LockoutOptions lockout, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<(int, DateTime?)>(new CommandDefinition("""
            INSERT INTO login_failure AS f (name_key, failures, window_started, locked_until)
            VALUES (@key, 1, now(), CASE WHEN 1 >= @MaxFailures THEN now() + @Duration END)
            ON CONFLICT (name_key) DO UPDATE SET
                failures = CASE WHEN f.window_started < now() - @Window THEN 1 ELSE f.failures + 1 END,
                window_started = CASE WHEN f.window_started < now() - @Window THEN now() ELSE f.window_started END,
                locked_until = CASE WHEN (CASE WHEN f.window_started < now() - @Window THEN 1 ELSE f.failures + 1 END) >= @MaxFailures
                    THEN now() + @Duration ELSE f.locked_until END
            RETURNING f.failures, f.locked_until
            """, new { key, lockout.MaxFailures, lockout.Window, lockout.Duration }, cancellationToken: cancellationToken));
    }

    /// <summary>A successful sign-in forgets the name's failures.</summary>
    public async Task ResetAsync(byte[] key, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM login_failure WHERE name_key = @key", new { key },
            cancellationToken: cancellationToken));
    }

    /// <summary>A password set by an administrator lifts the lock, in the caller's transaction.</summary>
    public async Task ResetAsync(NpgsqlTransaction tx, IEnumerable<string> userNames, CancellationToken cancellationToken)
    {
        foreach (var key in userNames.Distinct(StringComparer.OrdinalIgnoreCase).Select(KeyOf))
        {
            await tx.Connection!.ExecuteAsync(new CommandDefinition("DELETE FROM login_failure WHERE name_key = @key", new { key }, tx,
                cancellationToken: cancellationToken));
        }
    }

    /// <summary>Forgets counts whose window and lock are both over (guessed names must not pile up).</summary>
    public async Task<int> PurgeExpiredAsync(LockoutOptions lockout, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM login_failure WHERE window_started < now() - @Window AND (locked_until IS NULL OR locked_until < now())",
            new { lockout.Window }, cancellationToken: cancellationToken));
    }
}
