using Dapper;
using Npgsql;
using OAuthAspire.ServiceDefaults.Admin;

namespace OAuthAspire.Authorize.Consents;

public sealed record ConsentRecord
{
    public string UserSysId { get; init; } = "";

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

    private const string Matching = "(@userSysId::text IS NULL OR user_sys_id = @userSysId) AND (@clientId::text IS NULL OR client_id = @clientId)";

    /// <summary>The consents of a user, of a client, of both or of everyone, newest first.</summary>
    public async Task<Page<ConsentRecord>> ListAsync(string? userSysId, string? clientId, Paging paging, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var filter = new { userSysId, clientId, paging.Offset, paging.Limit };
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT count(*) FROM consent WHERE {Matching}", filter,
            cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<ConsentRecord>(new CommandDefinition($"""
            SELECT user_sys_id, client_id, scopes, granted_at FROM consent WHERE {Matching}
            ORDER BY granted_at DESC, user_sys_id, client_id OFFSET @Offset LIMIT @Limit
            """, filter, cancellationToken: cancellationToken));
        return new Page<ConsentRecord>(rows.AsList(), paging.Offset, paging.Limit, total);
    }

    /// <summary>The users who consented to a client.</summary>
    public async Task<IReadOnlyList<string>> UsersOfAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition("SELECT user_sys_id FROM consent WHERE client_id = @clientId", new { clientId },
            cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Deletes the consents of a user, of a client, or of the pair; returns those deleted.</summary>
    public static async Task<IReadOnlyList<ConsentRecord>> RevokeAsync(NpgsqlTransaction tx, string? userSysId, string? clientId, CancellationToken cancellationToken) =>
        userSysId is null && clientId is null
            ? throw new ArgumentException("A user or a client is required: never every consent at once.")
            : (await tx.Connection!.QueryAsync<ConsentRecord>(new CommandDefinition(
                $"DELETE FROM consent WHERE {Matching} RETURNING user_sys_id, client_id, scopes, granted_at",
                new { userSysId, clientId }, tx, cancellationToken: cancellationToken))).AsList();
}
