using Dapper;
using Npgsql;

namespace OAuthAspire.FederationTrust.Trusts;

/// <summary>A provider's subject linked to the local user its mutable claim first named.</summary>
public sealed record SubjectLink
{
    public const string ByToken = "token";
    public const string BySignIn = "sign_in";
    /// <summary>The user was created for this subject (automatic creation), by either path.</summary>
    public const string ByCreation = "created";

    public string Issuer { get; init; } = "";
    public string Subject { get; init; } = "";
    public string UserSysId { get; init; } = "";
    /// <summary><see cref="ByToken"/>, <see cref="BySignIn"/> or <see cref="ByCreation"/>: how the link was made.</summary>
    public string LinkedBy { get; init; } = ByToken;

    /// <summary>A sign-in may follow it: not one an API token made by naming an existing user by its claim.</summary>
    public bool SignInMayFollow => LinkedBy is BySignIn or ByCreation;
}

/// <summary>Reads and writes trusts, subject links, one-time jtis and the accepted-token ledger.</summary>
public sealed class TrustStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, name, template, issuer, metadata_url, client_ids, user_claim, user_field, algorithms, clock_skew, jti_check, auto_provision, scopes, active, allow_privileged_users, "
        + "provider_client_id, provider_client_secret, provider_client_auth, opaque_prefix, introspection_endpoint, introspection_cache_seconds, "
        + "sign_in, sign_in_display_name, sign_in_login_hint, sign_in_pass_prompt, sign_in_email_domains";

    public NpgsqlDataSource DataSource => dataSource;

    public async Task<IReadOnlyList<TrustRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<TrustRecord>(new CommandDefinition($"SELECT {Columns} FROM trust ORDER BY name", cancellationToken: cancellationToken))).AsList();
    }

    public async Task<TrustRecord?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<TrustRecord>(new CommandDefinition($"SELECT {Columns} FROM trust WHERE name = @name", new { name },
            cancellationToken: cancellationToken));
    }

    /// <returns>False when the name or the issuer is taken.</returns>
    public static async Task<bool> InsertAsync(NpgsqlTransaction tx, TrustRecord trust, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO trust ({Columns})
            VALUES (@Id, @Name, @Template, @Issuer, @MetadataUrl, @ClientIds, @UserClaim, @UserField, @Algorithms, @ClockSkew, @JtiCheck, @AutoProvision, @Scopes, @Active, @AllowPrivilegedUsers,
                @ProviderClientId, @ProviderClientSecret, @ProviderClientAuth, @OpaquePrefix, @IntrospectionEndpoint, @IntrospectionCacheSeconds,
                @SignIn, @SignInDisplayName, @SignInLoginHint, @SignInPassPrompt, @SignInEmailDomains)
            ON CONFLICT DO NOTHING
            """, trust, tx, cancellationToken: cancellationToken)) == 1;

    /// <summary>
    /// Updates by id (the name may change); throws a unique violation when the new name or issuer is
    /// taken. Links of another issuer go: its subjects can no longer present tokens to this trust,
    /// and their users must be free to link to the new issuer's subjects.
    /// </summary>
    public static async Task<bool> UpdateAsync(NpgsqlTransaction tx, TrustRecord trust, CancellationToken cancellationToken)
    {
        var connection = tx.Connection!;
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE trust SET name = @Name, template = @Template, issuer = @Issuer, metadata_url = @MetadataUrl, client_ids = @ClientIds,
                user_claim = @UserClaim, user_field = @UserField, algorithms = @Algorithms, clock_skew = @ClockSkew, jti_check = @JtiCheck,
                auto_provision = @AutoProvision, scopes = @Scopes, active = @Active, allow_privileged_users = @AllowPrivilegedUsers,
                provider_client_id = @ProviderClientId, provider_client_secret = @ProviderClientSecret, provider_client_auth = @ProviderClientAuth,
                opaque_prefix = @OpaquePrefix, introspection_endpoint = @IntrospectionEndpoint, introspection_cache_seconds = @IntrospectionCacheSeconds,
                sign_in = @SignIn, sign_in_display_name = @SignInDisplayName, sign_in_login_hint = @SignInLoginHint, sign_in_pass_prompt = @SignInPassPrompt,
                sign_in_email_domains = @SignInEmailDomains,
                updated_at = now()
            WHERE id = @Id
            """, trust, tx, cancellationToken: cancellationToken)) == 1;
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM subject_link WHERE trust_id = @Id AND issuer <> @Issuer", trust, tx,
            cancellationToken: cancellationToken));
        return updated;
    }

    /// <summary>
    /// Locks the named trusts that exist (shared lock) and returns their names, so a client bound to
    /// them commits its use only if none was deleted or renamed meanwhile.
    /// </summary>
    public static async Task<IReadOnlyList<string>> LockNamedAsync(NpgsqlTransaction tx, string[] names, CancellationToken cancellationToken) =>
        (await tx.Connection!.QueryAsync<string>(new CommandDefinition(
            "SELECT name FROM trust WHERE name = ANY(@names) FOR SHARE", new { names }, tx, cancellationToken: cancellationToken))).AsList();

    /// <summary>Locks one trust for a delete or a rename; its current name, or null when it is gone.</summary>
    public static async Task<string?> LockForChangeAsync(NpgsqlTransaction tx, Guid id, CancellationToken cancellationToken) =>
        await tx.Connection!.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT name FROM trust WHERE id = @id FOR UPDATE", new { id }, tx, cancellationToken: cancellationToken));

    public static async Task<bool> DeleteAsync(NpgsqlTransaction tx, Guid id, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition("DELETE FROM trust WHERE id = @id", new { id }, tx, cancellationToken: cancellationToken)) == 1;

    /// <summary>The link of a provider's subject, if any.</summary>
    public async Task<SubjectLink?> LinkOfAsync(Guid trustId, string issuer, string subject, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<SubjectLink>(new CommandDefinition(
            "SELECT issuer, subject, user_sys_id, linked_by FROM subject_link WHERE trust_id = @trustId AND issuer = @issuer AND subject = @subject",
            new { trustId, issuer, subject }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Whether the user belongs to a subject of another trust, by a sign-in or a creation (a sign-in by
    /// a stable claim must not take it). Links API tokens made do not count: anyone whose token names
    /// the user's address could make one, and must not lock the user out.
    /// </summary>
    public async Task<bool> LinkedElsewhereAsync(Guid trustId, string userSysId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM subject_link WHERE user_sys_id = @userSysId AND trust_id <> @trustId AND linked_by IN ('sign_in', 'created'))",
            new { trustId, userSysId }, cancellationToken: cancellationToken));
    }

    /// <returns>False when the subject is linked already, or the user is linked to another subject of the trust.</returns>
    public static async Task<bool> TryLinkAsync(NpgsqlTransaction tx, Guid trustId, string issuer, string subject, string userSysId, string linkedBy,
        CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO subject_link (trust_id, issuer, subject, user_sys_id, linked_by) VALUES (@trustId, @issuer, @subject, @userSysId, @linkedBy)
            ON CONFLICT DO NOTHING
            """, new { trustId, issuer, subject, userSysId, linkedBy }, tx, cancellationToken: cancellationToken)) == 1;

    /// <returns>The link removed; null when the user was linked to no subject of the trust.</returns>
    public static async Task<SubjectLink?> UnlinkAsync(NpgsqlTransaction tx, Guid trustId, string userSysId, CancellationToken cancellationToken) =>
        await tx.Connection!.QuerySingleOrDefaultAsync<SubjectLink>(new CommandDefinition(
            "DELETE FROM subject_link WHERE trust_id = @trustId AND user_sys_id = @userSysId RETURNING issuer, subject, user_sys_id, linked_by",
            new { trustId, userSysId }, tx, cancellationToken: cancellationToken));

    /// <returns>False when this jti was used before with the trust.</returns>
    public async Task<bool> TryUseJtiAsync(Guid trustId, string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO used_jti (trust_id, jti, expires_at) VALUES (@trustId, @jti, @expiresAt) ON CONFLICT DO NOTHING",
            new { trustId, jti, expiresAt }, cancellationToken: cancellationToken)) == 1;
    }

    /// <returns>True the first time a token is accepted.</returns>
    public static async Task<bool> FirstAcceptanceAsync(NpgsqlTransaction tx, byte[] tokenHash, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            "INSERT INTO accepted_token (token_hash, expires_at) VALUES (@tokenHash, @expiresAt) ON CONFLICT DO NOTHING",
            new { tokenHash, expiresAt }, tx, cancellationToken: cancellationToken)) == 1;

    /// <summary>Forgets jtis and accepted tokens that expired (with a margin for clock skew).</summary>
    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            DELETE FROM used_jti WHERE expires_at < now() - interval '15 minutes';
            DELETE FROM accepted_token WHERE expires_at < now() - interval '15 minutes';
            """, cancellationToken: cancellationToken));
    }
}
