using Dapper;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.Token.Issuance;

namespace OAuthAspire.Token.Inventory;

/// <summary>How many tokens a revocation ended (zero when they were already revoked).</summary>
public sealed record TokensRevokedDto(int AccessTokens, int RefreshFamilies);

/// <summary>
/// Revocations an administrator makes: one access token, one refresh family, or everything a user or
/// a client holds. Each commits with its audit events; the edge learns them from those events.
/// </summary>
public sealed class TokenRevocations(NpgsqlDataSource dataSource, RevocationStore revocations, RefreshTokenStore refreshTokens, IAuditSink audit,
    TimeProvider time)
{
    public const string Reason = "revoked by an administrator";

    /// <summary>Null when no token with this id was issued.</summary>
    public async Task<TokensRevokedDto?> RevokeAccessTokenAsync(string jti, AuditActor actor, string? remoteAddress, CancellationToken cancellationToken)
    {
        (string ClientId, DateTime ExpiresAt)? token;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            token = await connection.QuerySingleOrDefaultAsync<(string ClientId, DateTime ExpiresAt)?>(new CommandDefinition(
                "SELECT client_id, expires_at FROM issued_token WHERE jti = @jti", new { jti }, cancellationToken: cancellationToken));
        }

        if (token is not { } found)
        {
            return null;
        }

        var expiresAt = DatabaseTime.Utc(found.ExpiresAt);
        // An expired token is refused anyway: nothing to revoke, nothing to audit.
        var revoked = expiresAt > time.GetUtcNow()
            && await revocations.RevokeAsync(jti, found.ClientId, expiresAt, actor, remoteAddress, cancellationToken, Reason);
        return new TokensRevokedDto(revoked ? 1 : 0, 0);
    }

    /// <summary>Null when there is no such family.</summary>
    public Task<TokensRevokedDto?> RevokeFamilyAsync(Guid familyId, AuditActor actor, string? remoteAddress, CancellationToken cancellationToken) =>
        dataSource.InTransactionAsync<TokensRevokedDto?>(async tx =>
        {
            var family = await tx.Connection!.QuerySingleOrDefaultAsync<RefreshFamily>(new CommandDefinition("""
                SELECT family_id, client_id, user_sys_id, scopes, grant_type, expires_at, revoked_at FROM refresh_family
                WHERE family_id = @familyId FOR UPDATE
                """, new { familyId }, tx, cancellationToken: cancellationToken));
            if (family is null)
            {
                return null;
            }

            if (family.RevokedAt is not null)
            {
                return new TokensRevokedDto(0, 0);
            }

            var jtis = await refreshTokens.RevokeFamilyAsync(tx, family, Reason, actor, remoteAddress, cancellationToken);
            await audit.WriteAsync(tx, new RefreshFamilyRevoked(family.ClientId, family.UserSysId, family.FamilyId)
                { Actor = actor, Reason = Reason, RemoteAddress = remoteAddress }, cancellationToken);
            return new TokensRevokedDto(jtis.Count, 1);
        }, cancellationToken);

    /// <summary>
    /// Everything of a user or a client (<see cref="CutOffs.User"/>, <see cref="CutOffs.Client"/>): a
    /// cut-off refuses every access token issued until now (however many, one row and one event),
    /// and every live refresh family ends.
    /// </summary>
    public Task<TokensRevokedDto> RevokeAllOfAsync(string kind, string id, AuditActor actor, string? remoteAddress, CancellationToken cancellationToken) =>
        dataSource.InTransactionAsync(async tx =>
        {
            var byUser = kind == CutOffs.User;
            // Families first: their row locks wait for a refresh in flight, whose token is then committed
            // and covered by the cut-off below (taken after it, and never before that token's issue time).
            // Locked in family order, as every bulk revocation does: two of them never deadlock.
            var families = (await tx.Connection!.QueryAsync<Guid>(new CommandDefinition($"""
                UPDATE refresh_family SET revoked_at = now(), revoked_reason = @reason
                WHERE family_id IN (SELECT family_id FROM refresh_family
                    WHERE {(byUser ? "user_sys_id = @id" : "client_id = @id")} AND revoked_at IS NULL AND expires_at > now()
                    ORDER BY family_id FOR UPDATE)
                RETURNING family_id
                """, new { id, reason = Reason }, tx, cancellationToken: cancellationToken))).AsList();
            var lastRefreshed = families.Count == 0 ? null : await tx.Connection!.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
                "SELECT max(issued_at) FROM issued_token WHERE family_id = ANY(@families)", new { families }, tx, cancellationToken: cancellationToken));
            var now = time.GetUtcNow();
            if (lastRefreshed is { } last && DatabaseTime.Utc(last) > now)
            {
                now = DatabaseTime.Utc(last);
            }

            var live = await tx.Connection!.ExecuteScalarAsync<int>(new CommandDefinition($"""
                SELECT count(*)::int FROM ({TokenInventory.LiveAccessTokens} AND t.{(byUser ? "subject" : "client_id")} = @id) live
                """, new { id }, tx, cancellationToken: cancellationToken));
            await tx.Connection!.ExecuteAsync(new CommandDefinition("""
                INSERT INTO token_cut_off (subject_kind, subject_id, issued_before) VALUES (@kind, @id, @now)
                ON CONFLICT (subject_kind, subject_id) DO UPDATE SET issued_before = GREATEST(token_cut_off.issued_before, excluded.issued_before)
                """, new { kind, id, now = now.UtcDateTime }, tx, cancellationToken: cancellationToken));
            await audit.WriteAsync(tx, new TokensCutOff(kind, id, now) { Actor = actor, Reason = Reason, RemoteAddress = remoteAddress }, cancellationToken);
            await audit.WriteAsync(tx, new TokensRevokedInBulk(kind, id, live, families.Count) { Actor = actor, Reason = Reason, RemoteAddress = remoteAddress },
                cancellationToken);
            return new TokensRevokedDto(live, families.Count);
        }, cancellationToken);
}
