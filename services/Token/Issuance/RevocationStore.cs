using Dapper;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Token.Issuance;

/// <summary>Revoked access tokens by id, kept until they would have expired anyway.</summary>
public sealed class RevocationStore(NpgsqlDataSource dataSource, IAuditSink audit)
{
    /// <summary>True when the token is revoked, or a cut-off of its user or client covers its issue time: one round trip.</summary>
    public async Task<bool> RefusesAsync(AccessTokenContent token, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            SELECT EXISTS (SELECT 1 FROM revoked_token WHERE jti = @Jti)
                OR EXISTS (SELECT 1 FROM token_cut_off
                    WHERE ((subject_kind = 'user' AND subject_id = @Subject) OR (subject_kind = 'client' AND subject_id = @ClientId))
                      AND floor(extract(epoch FROM issued_before)) >= @iat)
            """, new { token.Jti, token.Subject, token.ClientId, iat = token.IssuedAt.ToUnixTimeSeconds() }, cancellationToken: cancellationToken));
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

    /// <summary>
    /// Revokes the live access tokens a user's consent to one client backed (the application is
    /// disconnected): those of the grants a user signs in to (code, implicit, device code, and their
    /// refreshes), never the client's own tokens running as that user (client credentials, a JWT
    /// bearer assertion). Each is audited as <see cref="TokenRevoked"/>, so the edge refuses it within seconds.
    /// </summary>
    public Task<int> RevokeAllOfUserForClientAsync(string userSysId, string clientId, string reason, CancellationToken cancellationToken) =>
        dataSource.InTransactionAsync(async tx =>
        {
            // In jti order, as the other bulk revocations lock theirs: two of them never deadlock.
            var revoked = (await tx.Connection!.QueryAsync<(string Jti, DateTime ExpiresAt)>(new CommandDefinition("""
                INSERT INTO revoked_token (jti, client_id, expires_at)
                SELECT jti, client_id, expires_at FROM issued_token
                WHERE subject = @userSysId AND client_id = @clientId AND expires_at > now() AND grant_type = ANY(@consented)
                ORDER BY jti
                ON CONFLICT (jti) DO NOTHING
                RETURNING jti, expires_at
                """, new { userSysId, clientId, consented = ConsentedGrants }, tx, cancellationToken: cancellationToken))).AsList();
            if (revoked.Count > 0)
            {
                await audit.WriteAsync(tx, [.. revoked.Select(r => (AuditEvent)new TokenRevoked(r.Jti, clientId, "access_token",
                    DatabaseTime.Utc(r.ExpiresAt)) { Actor = new AuditActor(userSysId, null, clientId), Reason = reason })],
                    cancellationToken);
            }

            return revoked.Count;
        }, cancellationToken);

    /// <summary>The grants a user's consent stands behind.</summary>
    private static readonly string[] ConsentedGrants =
        [Protocol.GrantTypes.AuthorizationCode, Protocol.GrantTypes.Implicit, Protocol.GrantTypes.DeviceCode, Protocol.GrantTypes.RefreshToken];

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
        return await BatchedPurge.DeleteAsync(dataSource, "revoked_token", "expires_at < now() - interval '10 minutes'", cancellationToken)
            + await BatchedPurge.DeleteAsync(dataSource, "issued_token", "expires_at < now() - interval '1 day'", cancellationToken);
    }
}
