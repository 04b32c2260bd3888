using Dapper;
using Npgsql;

namespace OAuthAspire.Authorize.Consents;

public sealed record ConsentRecord
{
    public required string ClientId { get; init; }
    public string[] Scopes { get; init; } = [];
    public DateTime GrantedAt { get; init; }
}

/// <summary>Remembered consents, per user and client: the union of the scopes approved so far.</summary>
public sealed class ConsentStore(NpgsqlDataSource dataSource)
{
    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>True when the user already approved every one of <paramref name="scopes"/> for the client.</summary>
    public async Task<bool> CoversAsync(string userSysId, string clientId, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var granted = await connection.QuerySingleOrDefaultAsync<string[]>(new CommandDefinition(
            "SELECT scopes FROM consent WHERE user_sys_id = @userSysId AND client_id = @clientId", new { userSysId, clientId },
            cancellationToken: cancellationToken));
        return granted is not null && scopes.All(granted.Contains);
    }

    public static Task RememberAsync(NpgsqlTransaction tx, string userSysId, string clientId, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition("""
            INSERT INTO consent (user_sys_id, client_id, scopes) VALUES (@userSysId, @clientId, @scopes)
            ON CONFLICT (user_sys_id, client_id) DO UPDATE
                SET scopes = ARRAY(SELECT DISTINCT unnest(consent.scopes || EXCLUDED.scopes) ORDER BY 1), granted_at = now()
            """, new { userSysId, clientId, scopes = scopes.ToArray() }, tx, cancellationToken: cancellationToken));

    public async Task<IReadOnlyList<ConsentRecord>> ListAsync(string userSysId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<ConsentRecord>(new CommandDefinition(
            "SELECT client_id, scopes, granted_at FROM consent WHERE user_sys_id = @userSysId ORDER BY client_id", new { userSysId },
            cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Deletes one client's consent, or every consent when <paramref name="clientId"/> is null; returns the clients affected.</summary>
    public static async Task<IReadOnlyList<string>> RevokeAsync(NpgsqlTransaction tx, string userSysId, string? clientId, CancellationToken cancellationToken) =>
        (await tx.Connection!.QueryAsync<string>(new CommandDefinition(
            "DELETE FROM consent WHERE user_sys_id = @userSysId AND (@clientId::text IS NULL OR client_id = @clientId) RETURNING client_id",
            new { userSysId, clientId }, tx, cancellationToken: cancellationToken))).AsList();
}
