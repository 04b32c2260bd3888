using Dapper;
using Npgsql;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>Reads and writes the registry. Deleted clients are invisible but keep their id forever.</summary>
public sealed class ClientStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        client_id, name, secret_hash, public, pkce_required, redirect_uris, post_logout_redirect_uris, grant_types, scopes,
        default_scopes, access_token_lifespan, refresh_token_lifespan, application_user_sys_id, application_user_name,
        can_introspect, logo_url, active, trusts, allowed_origins, version, jwt_verifier::text AS jwt_verifier, shared_key_enc,
        dpop_bound_access_tokens, dpop_nonce_required, tls_client_auth_subject_dn, tls_client_auth_san_dns, tls_client_auth_san_uri,
        tls_client_auth_san_ip, tls_client_auth_san_email, tls_client_certificates, tls_client_certificate_bound_access_tokens,
        require_pushed_authorization_requests, require_signed_request_object, allowed_resources, access_token_signing_alg,
        id_token_signed_response_alg, profile, origin
        """;

    public NpgsqlDataSource DataSource => dataSource;

    public async Task<ClientRecord?> FindAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ClientRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM oauth_client WHERE client_id = @clientId AND deleted_at IS NULL", new { clientId },
            cancellationToken: cancellationToken));
    }

    /// <param name="search">Only clients whose name or client id contains it, ignoring case (a literal, not a pattern).</param>
    public async Task<Page<ClientRecord>> ListAsync(Paging paging, CancellationToken cancellationToken, string? search = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        const string Where = """
            WHERE deleted_at IS NULL
              AND (@Pattern::text IS NULL OR name ILIKE @Pattern ESCAPE '\' OR client_id ILIKE @Pattern ESCAPE '\')
            """;
        var parameters = new { paging.Offset, paging.Limit, Pattern = SqlLike.Containing(search) };
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT count(*) FROM oauth_client {Where}", parameters, cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<ClientRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM oauth_client {Where} ORDER BY client_id OFFSET @Offset LIMIT @Limit", parameters,
            cancellationToken: cancellationToken));
        return new Page<ClientRecord>(rows.AsList(), paging.Offset, paging.Limit, total);
    }

    /// <summary>
    /// Every client ever registered, deleted ones included, with what it uses of other services'
    /// (for the backfill of their views: <see cref="UseViewBackfill"/>). Default scopes count too:
    /// rows written before they had to be among the scopes may name others.
    /// </summary>
    public async Task<IReadOnlyList<ClientUsesRow>> AllUsesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ClientUsesRow>(new CommandDefinition("""
            SELECT client_id, version, deleted_at IS NOT NULL AS deleted,
                ARRAY(SELECT DISTINCT s FROM unnest(scopes || default_scopes) AS s ORDER BY s) AS scopes, trusts
            FROM oauth_client ORDER BY client_id
            """, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Every origin an active client allows (the edge answers CORS for these; a preflight names no client).</summary>
    public async Task<IReadOnlyList<string>> AllowedOriginsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT a.origin FROM oauth_client, unnest(allowed_origins) AS a(origin) WHERE deleted_at IS NULL AND active ORDER BY a.origin",
            cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>False when the id is taken, now or by a deleted client.</summary>
    public static async Task<bool> InsertAsync(NpgsqlTransaction tx, ClientRecord client, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition("""
            INSERT INTO oauth_client (client_id, name, secret_hash, public, pkce_required, redirect_uris, post_logout_redirect_uris,
                grant_types, scopes, default_scopes, access_token_lifespan, refresh_token_lifespan, application_user_sys_id,
                application_user_name, can_introspect, logo_url, active, trusts, allowed_origins, jwt_verifier, shared_key_enc,
                dpop_bound_access_tokens, dpop_nonce_required, tls_client_auth_subject_dn, tls_client_auth_san_dns, tls_client_auth_san_uri,
                tls_client_auth_san_ip, tls_client_auth_san_email, tls_client_certificates, tls_client_certificate_bound_access_tokens,
                require_pushed_authorization_requests, require_signed_request_object, allowed_resources, access_token_signing_alg,
                id_token_signed_response_alg, profile)
            VALUES (@ClientId, @Name, @SecretHash, @Public, @PkceRequired, @RedirectUris, @PostLogoutRedirectUris,
                @GrantTypes, @Scopes, @DefaultScopes, @AccessTokenLifespan, @RefreshTokenLifespan, @ApplicationUserSysId,
                @ApplicationUserName, @CanIntrospect, @LogoUrl, @Active, @Trusts, @AllowedOrigins, @JwtVerifier::jsonb, @SharedKeyEnc,
                @DpopBoundAccessTokens, @DpopNonceRequired, @TlsClientAuthSubjectDn, @TlsClientAuthSanDns, @TlsClientAuthSanUri,
                @TlsClientAuthSanIp, @TlsClientAuthSanEmail, @TlsClientCertificates, @TlsClientCertificateBoundAccessTokens,
                @RequirePushedAuthorizationRequests, @RequireSignedRequestObject, @AllowedResources, @AccessTokenSigningAlg,
                @IdTokenSignedResponseAlg, @Profile)
            ON CONFLICT (client_id) DO NOTHING
            """, client, tx, cancellationToken: cancellationToken)) == 1;

    /// <returns>The client's version after the update; null when it does not exist (deleted meanwhile).</returns>
    public static async Task<long?> UpdateAsync(NpgsqlTransaction tx, ClientRecord client, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteScalarAsync<long?>(new CommandDefinition("""
            UPDATE oauth_client SET name = @Name, secret_hash = @SecretHash, public = @Public, pkce_required = @PkceRequired,
                redirect_uris = @RedirectUris, post_logout_redirect_uris = @PostLogoutRedirectUris, grant_types = @GrantTypes,
                scopes = @Scopes, default_scopes = @DefaultScopes, access_token_lifespan = @AccessTokenLifespan,
                refresh_token_lifespan = @RefreshTokenLifespan, application_user_sys_id = @ApplicationUserSysId,
                application_user_name = @ApplicationUserName, can_introspect = @CanIntrospect, logo_url = @LogoUrl,
                active = @Active, trusts = @Trusts, allowed_origins = @AllowedOrigins, jwt_verifier = @JwtVerifier::jsonb, shared_key_enc = @SharedKeyEnc,
                dpop_bound_access_tokens = @DpopBoundAccessTokens, dpop_nonce_required = @DpopNonceRequired,
                tls_client_auth_subject_dn = @TlsClientAuthSubjectDn, tls_client_auth_san_dns = @TlsClientAuthSanDns,
                tls_client_auth_san_uri = @TlsClientAuthSanUri, tls_client_auth_san_ip = @TlsClientAuthSanIp,
                tls_client_auth_san_email = @TlsClientAuthSanEmail, tls_client_certificates = @TlsClientCertificates,
                tls_client_certificate_bound_access_tokens = @TlsClientCertificateBoundAccessTokens,
                require_pushed_authorization_requests = @RequirePushedAuthorizationRequests,
                require_signed_request_object = @RequireSignedRequestObject, allowed_resources = @AllowedResources,
                access_token_signing_alg = @AccessTokenSigningAlg, id_token_signed_response_alg = @IdTokenSignedResponseAlg, profile = @Profile,
                version = version + 1, updated_at = now()
            WHERE client_id = @ClientId AND deleted_at IS NULL
            RETURNING version
            """, client, tx, cancellationToken: cancellationToken));

    public static async Task<bool> SetSecretAsync(NpgsqlTransaction tx, string clientId, byte[] hash, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            "UPDATE oauth_client SET secret_hash = @hash, version = version + 1, updated_at = now() WHERE client_id = @clientId AND deleted_at IS NULL",
            new { clientId, hash }, tx, cancellationToken: cancellationToken)) == 1;

    /// <returns>The deleted client's last version; null when there was none to delete.</returns>
    public static async Task<long?> DeleteAsync(NpgsqlTransaction tx, string clientId, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteScalarAsync<long?>(new CommandDefinition("""
            UPDATE oauth_client SET deleted_at = now(), active = false, secret_hash = NULL, shared_key_enc = NULL, version = version + 1
            WHERE client_id = @clientId AND deleted_at IS NULL
            RETURNING version
            """, new { clientId }, tx, cancellationToken: cancellationToken));
}
