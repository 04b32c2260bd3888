using OAuthAspire.ServiceDefaults.Data;
using Dapper;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.Protocol.Tokens;
using OAuthAspire.ServiceDefaults.Audit;

namespace OAuthAspire.Token.Issuance;

public sealed record RefreshFamily
{
    public Guid FamilyId { get; init; }
    public required string ClientId { get; init; }
    public required string UserSysId { get; init; }
    public string[] Scopes { get; init; } = [];
    public required string GrantType { get; init; }
    public DateTime? AuthTime { get; init; }
    public string? SessionId { get; init; }
    public string[] Amr { get; init; } = [];
    public DateTime ExpiresAt { get; init; }
    public DateTime? RevokedAt { get; init; }

    /// <summary>The DPoP key a public client's family is bound to (RFC 9449 §5); null when unbound.</summary>
    public string? DpopJkt { get; init; }

    /// <summary>The client certificate a public client's family is bound to (RFC 8705 §4); null when unbound.</summary>
    public string? MtlsX5t { get; init; }

    /// <summary>RFC 8707: the APIs the grant is for (a refresh may name any of them); empty for the default audience only.</summary>
    public string[] Resources { get; init; } = [];
}

/// <summary>A refresh token's row with its family, locked for the caller's transaction.</summary>
public sealed record RefreshTokenRow(byte[] TokenHash, DateTime? RotatedAt, RefreshFamily Family);

public sealed class RefreshOptions
{
    /// <summary>How long after a rotation the old token is treated as a lost race rather than a theft.</summary>
    public TimeSpan ReuseGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Keep a user's refresh families when their password changes (by default they end, as their sign-in sessions do).</summary>
    public bool KeepOnPasswordChange { get; set; }
}

/// <summary>Refresh token families: issue, rotate, and revoke whole families with their access tokens.</summary>
public sealed class RefreshTokenStore(NpgsqlDataSource dataSource, IAuditSink audit)
{
    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>Starts a family with its first token; returns the token.</summary>
    public static async Task<string> StartFamilyAsync(NpgsqlTransaction tx, RefreshFamily family, CancellationToken cancellationToken)
    {
        await tx.Connection!.ExecuteAsync(new CommandDefinition("""
            INSERT INTO refresh_family (family_id, client_id, user_sys_id, scopes, grant_type, auth_time, session_id, amr, expires_at, dpop_jkt, mtls_x5t,
                resources)
            VALUES (@FamilyId, @ClientId, @UserSysId, @Scopes, @GrantType, @AuthTime, @SessionId, @Amr, @ExpiresAt, @DpopJkt, @MtlsX5t, @Resources)
            """, family, tx, cancellationToken: cancellationToken));
        return await AddTokenAsync(tx, family.FamilyId, cancellationToken);
    }

    public static async Task<string> AddTokenAsync(NpgsqlTransaction tx, Guid familyId, CancellationToken cancellationToken)
    {
        var token = RefreshTokens.New();
        await tx.Connection!.ExecuteAsync(new CommandDefinition("INSERT INTO refresh_token (token_hash, family_id) VALUES (@hash, @familyId)",
            new { hash = RefreshTokens.Hash(token), familyId }, tx, cancellationToken: cancellationToken));
        return token;
    }

    /// <summary>Finds the token and locks its family row: refreshes of one family run one at a time.</summary>
    public static async Task<RefreshTokenRow?> LockAsync(NpgsqlTransaction tx, string token, CancellationToken cancellationToken)
    {
        var hash = RefreshTokens.Hash(token);
        var familyId = await tx.Connection!.ExecuteScalarAsync<Guid?>(new CommandDefinition(
            "SELECT family_id FROM refresh_token WHERE token_hash = @hash", new { hash }, tx, cancellationToken: cancellationToken));
        if (familyId is null)
        {
            return null;
        }

        var family = await tx.Connection!.QuerySingleAsync<RefreshFamily>(new CommandDefinition("""
            SELECT family_id, client_id, user_sys_id, scopes, grant_type, auth_time, session_id, amr, expires_at, revoked_at, dpop_jkt, mtls_x5t,
                   resources
            FROM refresh_family WHERE family_id = @familyId FOR UPDATE
            """, new { familyId }, tx, cancellationToken: cancellationToken));
        var rotatedAt = await tx.Connection!.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "SELECT rotated_at FROM refresh_token WHERE token_hash = @hash", new { hash }, tx, cancellationToken: cancellationToken));
        return new RefreshTokenRow(hash, rotatedAt, family);
    }

    /// <summary>The token and its family without a lock: the group commit rotates it only if still unused and the family live (<see cref="GrantChange"/>).</summary>
    public async Task<RefreshTokenRow?> FindAsync(string token, CancellationToken cancellationToken)
    {
        var hash = RefreshTokens.Hash(token);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<DateTime?, RefreshFamily, RefreshTokenRow>(new CommandDefinition("""
            SELECT t.rotated_at, f.family_id, f.client_id, f.user_sys_id, f.scopes, f.grant_type, f.auth_time, f.session_id, f.amr, f.expires_at, f.revoked_at,
                   f.dpop_jkt, f.mtls_x5t, f.resources
            FROM refresh_token t JOIN refresh_family f ON f.family_id = t.family_id WHERE t.token_hash = @hash
            """, new { hash }, cancellationToken: cancellationToken), (rotatedAt, family) => new RefreshTokenRow(hash, rotatedAt, family), splitOn: "family_id");
        return rows.FirstOrDefault();
    }

    /// <summary>Binds an unbound family to a DPoP key (RFC 9449 §5); its row is locked by the caller's transaction.</summary>
    public static Task BindAsync(NpgsqlTransaction tx, Guid familyId, string jkt, CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition("UPDATE refresh_family SET dpop_jkt = @jkt WHERE family_id = @familyId AND dpop_jkt IS NULL",
            new { familyId, jkt }, tx, cancellationToken: cancellationToken));

    /// <summary>Binds an unbound family to a client certificate (RFC 8705 §4); its row is locked by the caller's transaction.</summary>
    public static Task BindCertificateAsync(NpgsqlTransaction tx, Guid familyId, string x5t, CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition("UPDATE refresh_family SET mtls_x5t = @x5t WHERE family_id = @familyId AND mtls_x5t IS NULL",
            new { familyId, x5t }, tx, cancellationToken: cancellationToken));

    /// <summary>Marks the token used; false when another request used it first (the atomic step of rotation).</summary>
    public static async Task<bool> MarkRotatedAsync(NpgsqlTransaction tx, byte[] hash, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            "UPDATE refresh_token SET rotated_at = now() WHERE token_hash = @hash AND rotated_at IS NULL", new { hash }, tx,
            cancellationToken: cancellationToken)) == 1;

    /// <summary>Revokes a family and every unexpired access token issued from it; returns their ids.</summary>
    public async Task<IReadOnlyList<string>> RevokeFamilyAsync(NpgsqlTransaction tx, RefreshFamily family, string reason, AuditActor actor, string? remoteAddress,
        CancellationToken cancellationToken)
    {
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            "UPDATE refresh_family SET revoked_at = now(), revoked_reason = @reason WHERE family_id = @FamilyId AND revoked_at IS NULL",
            new { family.FamilyId, reason }, tx, cancellationToken: cancellationToken));
        var revoked = (await tx.Connection!.QueryAsync<(string Jti, DateTime ExpiresAt)>(new CommandDefinition("""
            INSERT INTO revoked_token (jti, client_id, expires_at)
            SELECT jti, client_id, expires_at FROM issued_token WHERE family_id = @FamilyId AND expires_at > now()
            ON CONFLICT (jti) DO NOTHING
            RETURNING jti, expires_at
            """, family, tx, cancellationToken: cancellationToken))).AsList();
        foreach (var (jti, expiresAt) in revoked)
        {
            await audit.WriteAsync(tx, new TokenRevoked(jti, family.ClientId, "access_token", new DateTimeOffset(DateTime.SpecifyKind(expiresAt, DateTimeKind.Utc)))
                { Actor = actor, Reason = reason, RemoteAddress = remoteAddress }, cancellationToken);
        }

        return revoked.Select(r => r.Jti).ToArray();
    }

    /// <summary>
    /// Revokes the families a code started (its replay means the code leaked): every refresh token
    /// and every access token refreshed from them goes with it. Returns the access-token ids revoked.
    /// </summary>
    public async Task<IReadOnlyList<string>> RevokeFamiliesOfCodeAsync(NpgsqlTransaction tx, byte[] codeHash, string reason, string? remoteAddress,
        CancellationToken cancellationToken)
    {
        var families = (await tx.Connection!.QueryAsync<RefreshFamily>(new CommandDefinition("""
            SELECT family_id, client_id, user_sys_id, scopes, grant_type, auth_time, session_id, amr, expires_at, revoked_at
            FROM refresh_family WHERE family_id IN (SELECT family_id FROM issued_token WHERE code_hash = @codeHash AND family_id IS NOT NULL)
            FOR UPDATE
            """, new { codeHash }, tx, cancellationToken: cancellationToken))).AsList();
        var revoked = new List<string>();
        foreach (var family in families)
        {
            var actor = new AuditActor(family.UserSysId, null, family.ClientId);
            revoked.AddRange(await RevokeFamilyAsync(tx, family, reason, actor, remoteAddress, cancellationToken));
            if (family.RevokedAt is null)
            {
                await audit.WriteAsync(tx, new RefreshFamilyRevoked(family.ClientId, family.UserSysId, family.FamilyId)
                    { Actor = actor, Reason = reason, RemoteAddress = remoteAddress }, cancellationToken);
            }
        }

        return revoked;
    }

    /// <summary>Families of a user (and client), still live: consent withdrawn or user deleted ends them.</summary>
    public async Task RevokeFamiliesOfAsync(string userSysId, string? clientId, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var families = (await connection.QueryAsync<RefreshFamily>(new CommandDefinition("""
            SELECT family_id, client_id, user_sys_id, scopes, grant_type, auth_time, session_id, amr, expires_at, revoked_at
            FROM refresh_family WHERE user_sys_id = @userSysId AND (@clientId::text IS NULL OR client_id = @clientId)
              AND revoked_at IS NULL AND expires_at > now() ORDER BY family_id FOR UPDATE
            """, new { userSysId, clientId }, tx, cancellationToken: cancellationToken))).AsList();
        foreach (var family in families)
        {
            await RevokeFamilyAsync(tx, family, reason, new AuditActor(userSysId, null, family.ClientId), null, cancellationToken);
            await audit.WriteAsync(tx, new RefreshFamilyRevoked(family.ClientId, userSysId, family.FamilyId) { Reason = reason }, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>What introspection may say of a refresh token: its family when the token is current and live.</summary>
    public async Task<RefreshFamily?> ActiveFamilyAsync(string token, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<RefreshFamily>(new CommandDefinition("""
            SELECT f.family_id, f.client_id, f.user_sys_id, f.scopes, f.grant_type, f.auth_time, f.session_id, f.amr, f.expires_at, f.revoked_at
            FROM refresh_token t JOIN refresh_family f ON f.family_id = t.family_id
            WHERE t.token_hash = @hash AND t.rotated_at IS NULL AND f.revoked_at IS NULL AND f.expires_at > now()
            """, new { hash = RefreshTokens.Hash(token) }, cancellationToken: cancellationToken));
    }

    public async Task<RefreshFamily?> FamilyOfAsync(string token, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<RefreshFamily>(new CommandDefinition("""
            SELECT f.family_id, f.client_id, f.user_sys_id, f.scopes, f.grant_type, f.auth_time, f.session_id, f.amr, f.expires_at, f.revoked_at
            FROM refresh_token t JOIN refresh_family f ON f.family_id = t.family_id WHERE t.token_hash = @hash
            """, new { hash = RefreshTokens.Hash(token) }, cancellationToken: cancellationToken));
    }

    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        // A family's tokens go with it (ON DELETE CASCADE).
        return await BatchedPurge.DeleteAsync(dataSource, "refresh_family", "expires_at < now() - interval '1 day'", cancellationToken)
            + await BatchedPurge.DeleteAsync(dataSource, "used_jti", "expires_at < now()", cancellationToken);
    }
}
