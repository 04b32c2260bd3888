using Dapper;
using Npgsql;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Directory.Users;

/// <summary>Reads and writes the user directory. Writes take the caller's transaction so the audit event commits with them.</summary>
public sealed class UserStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        "sys_id, user_name, email, first_name, last_name, password_hash, roles, active";

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

    /// <param name="search">Only users whose user name, email or name contains it, ignoring case (literal text).</param>
    public async Task<Page<UserRecord>> ListAsync(Paging paging, CancellationToken cancellationToken, string? search = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        const string Where = """
            WHERE @Pattern::text IS NULL OR user_name ILIKE @Pattern ESCAPE '\' OR email ILIKE @Pattern ESCAPE '\'
               OR (first_name || ' ' || last_name) ILIKE @Pattern ESCAPE '\'
            """;
        var parameters = new { paging.Offset, paging.Limit, Pattern = SqlLike.Containing(search) };
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT count(*) FROM app_user {Where}", parameters,
            cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<UserRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM app_user {Where} ORDER BY lower(user_name) OFFSET @Offset LIMIT @Limit", parameters, cancellationToken: cancellationToken));
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
                {(setPassword ? ", password_hash = @PasswordHash" : "")}
            WHERE sys_id = @SysId
            """, user, tx, cancellationToken: cancellationToken)) == 1;

    /// <summary>Sets only the password, on the row as it stands now (another write's roles or state kept); the user after it, or null when gone.</summary>
    public static async Task<UserRecord?> SetPasswordAsync(NpgsqlTransaction tx, string sysId, string passwordHash, CancellationToken cancellationToken) =>
        await tx.Connection!.QuerySingleOrDefaultAsync<UserRecord>(new CommandDefinition($"""
            UPDATE app_user SET password_hash = @passwordHash, updated_at = now() WHERE sys_id = @sysId RETURNING {Columns}
            """, new { sysId, passwordHash }, tx, cancellationToken: cancellationToken));

    /// <summary>Whether the directory has any user at all (the first administrator is created only into an empty one).</summary>
    public static async Task<bool> AnyAsync(NpgsqlTransaction tx, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM app_user)", transaction: tx,
            cancellationToken: cancellationToken));

    /// <summary>
    /// Deletes the user. Their sessions and consents live in the authorize service, which ends and
    /// deletes them on the <c>UserDeleted</c> event written in the same transaction.
    /// </summary>
    public static async Task<bool> DeleteAsync(NpgsqlTransaction tx, string sysId, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition("DELETE FROM app_user WHERE sys_id = @sysId", new { sysId }, tx,
            cancellationToken: cancellationToken)) == 1;
}

/// <summary>Lockout after <see cref="MaxFailures"/> failed passwords within <see cref="Window"/>.</summary>
public sealed class LockoutOptions
{
    public int MaxFailures { get; set; } = 5;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(15);
}
