using Dapper;
using Npgsql;
using OAuthAspire.ServiceDefaults.Admin;

namespace OAuthAspire.Authorize.Users;

/// <summary>Reads and writes the user directory. Writes take the caller's transaction so the audit event commits with them.</summary>
public sealed class UserStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        "sys_id, user_name, email, first_name, last_name, password_hash, roles, active, failed_logins, failure_window_started, locked_until";

    public static readonly IReadOnlySet<string> Fields = new HashSet<string>(StringComparer.Ordinal) { "user_name", "email", "sys_id" };

    public NpgsqlDataSource DataSource => dataSource;

    public async Task<UserRecord?> FindAsync(string field, string value, CancellationToken cancellationToken)
    {
        var where = field switch
        {
            "sys_id" => "sys_id = @value",
            "user_name" => "lower(user_name) = lower(@value)",
            "email" => "lower(email) = lower(@value)",
            _ => throw new ArgumentOutOfRangeException(nameof(field), field, "unknown user field"),
        };
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM app_user WHERE {where}", new { value }, cancellationToken: cancellationToken));
    }

    public Task<UserRecord?> FindByNameAsync(string userName, CancellationToken cancellationToken) =>
        FindAsync("user_name", userName, cancellationToken);

    public async Task<Page<UserRecord>> ListAsync(Paging paging, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM app_user", cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<UserRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM app_user ORDER BY lower(user_name) OFFSET @Offset LIMIT @Limit", paging, cancellationToken: cancellationToken));
        return new Page<UserRecord>(rows.AsList(), paging.Offset, paging.Limit, total);
    }

    public static Task InsertAsync(NpgsqlTransaction tx, UserRecord user, CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition("""
            INSERT INTO app_user (sys_id, user_name, email, first_name, last_name, password_hash, roles, active)
            VALUES (@SysId, @UserName, @Email, @FirstName, @LastName, @PasswordHash, @Roles, @Active)
            """, user, tx, cancellationToken: cancellationToken));

    /// <summary>Replaces the profile fields; the password hash only when one is given.</summary>
    public static async Task<bool> UpdateAsync(NpgsqlTransaction tx, UserRecord user, bool setPassword, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition($"""
            UPDATE app_user SET user_name = @UserName, email = @Email, first_name = @FirstName, last_name = @LastName,
                roles = @Roles, active = @Active, updated_at = now()
                {(setPassword ? ", password_hash = @PasswordHash, failed_logins = 0, failure_window_started = NULL, locked_until = NULL" : "")}
            WHERE sys_id = @SysId
            """, user, tx, cancellationToken: cancellationToken)) == 1;

    /// <summary>Deletes the user with their sessions and consents.</summary>
    public static async Task<bool> DeleteAsync(NpgsqlTransaction tx, string sysId, CancellationToken cancellationToken)
    {
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            "DELETE FROM consent WHERE user_sys_id = @sysId; UPDATE login_session SET ended_at = now() WHERE user_sys_id = @sysId AND ended_at IS NULL",
            new { sysId }, tx, cancellationToken: cancellationToken));
        return await tx.Connection!.ExecuteAsync(new CommandDefinition("DELETE FROM app_user WHERE sys_id = @sysId", new { sysId }, tx,
            cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Counts a failed password within the lockout window, locking the account at the limit.</summary>
    public async Task<(int Failures, DateTime? LockedUntil)> RecordFailureAsync(string sysId, LockoutOptions lockout, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<(int, DateTime?)>(new CommandDefinition("""
            WITH counted AS (
                SELECT sys_id,
                       CASE WHEN failure_window_started IS NULL OR failure_window_started < now() - @Window THEN 1 ELSE failed_logins + 1 END AS n,
                       CASE WHEN failure_window_started IS NULL OR failure_window_started < now() - @Window THEN now() ELSE failure_window_started END AS started
                FROM app_user WHERE sys_id = @sysId FOR UPDATE)
            UPDATE app_user u SET failed_logins = c.n, failure_window_started = c.started,
                locked_until = CASE WHEN c.n >= @MaxFailures THEN now() + @Duration ELSE u.locked_until END
            FROM counted c WHERE u.sys_id = c.sys_id
            RETURNING u.failed_logins, u.locked_until
            """, new { sysId, lockout.Window, lockout.MaxFailures, lockout.Duration }, cancellationToken: cancellationToken));
    }

    public async Task ResetFailuresAsync(string sysId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE app_user SET failed_logins = 0, failure_window_started = NULL WHERE sys_id = @sysId AND failed_logins > 0",
            new { sysId }, cancellationToken: cancellationToken));
    }
}

/// <summary>Lockout after <see cref="MaxFailures"/> failed passwords within <see cref="Window"/>.</summary>
public sealed class LockoutOptions
{
    public int MaxFailures { get; set; } = 5;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(15);
}
