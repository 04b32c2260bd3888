using Dapper;
using Npgsql;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Token.Issuance;

/// <summary>
/// When each client last got a token for a user (any grant, refreshes included), from the issued-token
/// records still kept (the housekeeping purges expired ones): the account page's "last used".
/// </summary>
public sealed class ClientLastUse(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<(string ClientId, DateTimeOffset LastUsedAt)>> OfUserAsync(string userSysId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One index range (issued_token_subject_newest) per user.
        var rows = await connection.QueryAsync<(string ClientId, DateTime LastUsedAt)>(new CommandDefinition(
            "SELECT client_id, max(issued_at) FROM issued_token WHERE subject = @userSysId GROUP BY client_id",
            new { userSysId }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => (r.ClientId, DatabaseTime.Utc(r.LastUsedAt)))];
    }
}
