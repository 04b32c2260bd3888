using Dapper;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Token.Issuance;

/// <summary>Revoked access tokens by id, kept until they would have expired anyway.</summary>
public sealed class RevocationStore(NpgsqlDataSource dataSource, IAuditSink audit)
{
    public async Task<bool> IsRevokedAsync(string jti, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM revoked_token WHERE jti = @jti)", new { jti }, cancellationToken: cancellationToken));
    }

    /// <summary>Revokes once: a repeated revocation changes nothing and raises no second event.</summary>
    public Task<bool> RevokeAsync(string jti, string clientId, DateTimeOffset expiresAt, AuditActor actor, string? remoteAddress,
        CancellationToken cancellationToken, string? reason = null) =>
        dataSource.InTransactionAsync(async tx =>
        {
            var inserted = await tx.Connection!.ExecuteAsync(new CommandDefinition("""
                INSERT INTO revoked_token (jti, client_id, expires_at) VALUES (@jti, @clientId, @expiresAt) ON CONFLICT (jti) DO NOTHING
                """, new { jti, clientId, expiresAt = expiresAt.UtcDateTime }, tx, cancellationToken: cancellationToken)) == 1;
            if (inserted)
            {
                await audit.WriteAsync(tx, new TokenRevoked(jti, clientId, "access_token", expiresAt)
                {
                    Actor = actor,
                    RemoteAddress = remoteAddress,
                    Reason = reason,
                }, cancellationToken);
            }

            return inserted;
        }, cancellationToken);

    public async Task<IReadOnlyList<(string Jti, DateTime ExpiresAt)>> CurrentAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string, DateTime)>(new CommandDefinition(
            "SELECT jti, expires_at FROM revoked_token WHERE expires_at > now()", cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Forgets token records and revocations once the tokens are past expiry.</summary>
    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM revoked_token WHERE expires_at < now() - interval '10 minutes';
            DELETE FROM issued_token WHERE expires_at < now() - interval '1 day';
            """, cancellationToken: cancellationToken));
    }
}
