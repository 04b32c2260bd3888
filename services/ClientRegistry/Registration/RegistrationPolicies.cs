using System.Text.Json;
using Dapper;
using Npgsql;
using OAuthAspire.Protocol.Registration;

namespace OAuthAspire.ClientRegistry.Registration;

/// <summary>A registration policy as the admin API shows and takes it (camelCase JSON).</summary>
/// <param name="RedirectUris"><c>https</c> or <c>native</c>.</param>
/// <param name="UnusedExpiryDays">Self-registered clients never used are deleted after this many days; null: never.</param>
/// <param name="MaxClients">At most this many live clients registered under it; null: no limit.</param>
/// <param name="SoftwareStatementIssuer">The <c>iss</c> of the software statements it trusts (RFC 7591 §2.3); null: none.</param>
/// <param name="SoftwareStatementKeys">That issuer's public keys, a JWK Set.</param>
/// <param name="SoftwareStatementRequired">Refuse registrations without such a statement.</param>
public sealed record RegistrationPolicyDto(string? Name, string[]? GrantTypes, string[]? Scopes, string[]? AuthMethods, string? RedirectUris,
    int? AccessTokenLifespan, int? RefreshTokenLifespan, string? ApplicationUser, int? UnusedExpiryDays, int? MaxClients,
    string? SoftwareStatementIssuer = null, JsonElement? SoftwareStatementKeys = null, bool? SoftwareStatementRequired = null, long? Version = null);

/// <summary>A stored policy: the protocol core's rules plus what the registry itself enforces.</summary>
public sealed record StoredPolicy(RegistrationPolicy Rules, int? UnusedExpiryDays, int? MaxClients, long Version)
{
    public RegistrationPolicyDto ToDto() => new(Rules.Name, [.. Rules.GrantTypes], [.. Rules.Scopes], [.. Rules.AuthMethods],
        Rules.RedirectUris == RedirectRule.Native ? "native" : "https", Rules.AccessTokenLifespan, Rules.RefreshTokenLifespan, Rules.ApplicationUser,
        UnusedExpiryDays, MaxClients, Rules.Statements?.Issuer, Rules.Statements is { } trust ? JsonDocument.Parse(trust.Jwks).RootElement.Clone() : null,
        Rules.Statements?.Required ?? false, Version);
}

/// <summary>The registration policies, in the registry's database.</summary>
public sealed class RegistrationPolicies(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        name, grant_types, scopes, auth_methods, redirect_rule, access_token_lifespan, refresh_token_lifespan, application_user,
        (extract(epoch FROM unused_expiry) / 86400)::int AS unused_expiry_days, max_clients, statement_issuer, statement_keys::text AS statement_keys,
        statement_required, version
        """;

    private sealed record Row
    {
        public required string Name { get; init; }
        public string[] GrantTypes { get; init; } = [];
        public string[] Scopes { get; init; } = [];
        public string[] AuthMethods { get; init; } = [];
        public required string RedirectRule { get; init; }
        public int AccessTokenLifespan { get; init; }
        public int RefreshTokenLifespan { get; init; }
        public string? ApplicationUser { get; init; }
        public int? UnusedExpiryDays { get; init; }
        public int? MaxClients { get; init; }
        public string? StatementIssuer { get; init; }
        public string? StatementKeys { get; init; }
        public bool StatementRequired { get; init; }
        public long Version { get; init; }

        public StoredPolicy ToPolicy() => new(new RegistrationPolicy(Name, GrantTypes, Scopes, AuthMethods,
            RedirectRule == "native" ? Protocol.Registration.RedirectRule.Native : Protocol.Registration.RedirectRule.Https,
            AccessTokenLifespan, RefreshTokenLifespan, ApplicationUser,
            StatementIssuer is null || StatementKeys is null ? null : new SoftwareStatementTrust(StatementIssuer, StatementKeys, StatementRequired)),
            UnusedExpiryDays, MaxClients, Version);
    }

    public NpgsqlDataSource DataSource => dataSource;

    public async Task<StoredPolicy?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM registration_policy WHERE name = @name",
            new { name }, cancellationToken: cancellationToken)))?.ToPolicy();
    }

    public async Task<IReadOnlyList<StoredPolicy>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Row>(new CommandDefinition($"SELECT {Columns} FROM registration_policy ORDER BY name",
            cancellationToken: cancellationToken))).Select(r => r.ToPolicy()).ToArray();
    }

    /// <returns>The version saved, and whether the policy is new.</returns>
    public static async Task<(long Version, bool Created)> SaveAsync(NpgsqlTransaction tx, StoredPolicy policy, CancellationToken cancellationToken)
    {
        var rules = policy.Rules;
        return await tx.Connection!.QuerySingleAsync<(long, bool)>(new CommandDefinition("""
            INSERT INTO registration_policy (name, grant_types, scopes, auth_methods, redirect_rule, access_token_lifespan, refresh_token_lifespan,
                application_user, unused_expiry, max_clients, statement_issuer, statement_keys, statement_required)
            VALUES (@Name, @GrantTypes, @Scopes, @AuthMethods, @redirectRule, @AccessTokenLifespan, @RefreshTokenLifespan, @ApplicationUser,
                make_interval(days => @unusedExpiryDays), @maxClients, @statementIssuer, @statementKeys::jsonb, @statementRequired)
            ON CONFLICT (name) DO UPDATE SET grant_types = excluded.grant_types, scopes = excluded.scopes, auth_methods = excluded.auth_methods,
                redirect_rule = excluded.redirect_rule, access_token_lifespan = excluded.access_token_lifespan,
                refresh_token_lifespan = excluded.refresh_token_lifespan, application_user = excluded.application_user,
                unused_expiry = excluded.unused_expiry, max_clients = excluded.max_clients, statement_issuer = excluded.statement_issuer,
                statement_keys = excluded.statement_keys, statement_required = excluded.statement_required,
                version = registration_policy.version + 1, updated_at = now()
            RETURNING version, (xmax = 0) AS created
            """, new
        {
            rules.Name, GrantTypes = rules.GrantTypes.ToArray(), Scopes = rules.Scopes.ToArray(), AuthMethods = rules.AuthMethods.ToArray(),
            redirectRule = rules.RedirectUris == RedirectRule.Native ? "native" : "https", rules.AccessTokenLifespan, rules.RefreshTokenLifespan,
            rules.ApplicationUser, unusedExpiryDays = policy.UnusedExpiryDays, maxClients = policy.MaxClients, statementIssuer = rules.Statements?.Issuer,
            statementKeys = rules.Statements?.Jwks, statementRequired = rules.Statements?.Required ?? false,
        }, tx, cancellationToken: cancellationToken));
    }

    /// <returns>False when there was none; null when tokens or clients still name it.</returns>
    public static async Task<bool?> DeleteAsync(NpgsqlTransaction tx, string name, CancellationToken cancellationToken)
    {
        var inUse = await tx.Connection!.ExecuteScalarAsync<bool>(new CommandDefinition("""
            SELECT EXISTS (SELECT 1 FROM initial_access_token WHERE policy = @name AND revoked_at IS NULL AND expires_at > now())
                OR EXISTS (SELECT 1 FROM oauth_client WHERE registration_policy = @name AND deleted_at IS NULL)
            """, new { name }, tx, cancellationToken: cancellationToken));
        if (inUse)
        {
            return null;
        }

        await tx.Connection!.ExecuteAsync(new CommandDefinition("DELETE FROM initial_access_token WHERE policy = @name", new { name }, tx,
            cancellationToken: cancellationToken));
        return await tx.Connection!.ExecuteAsync(new CommandDefinition("DELETE FROM registration_policy WHERE name = @name", new { name }, tx,
            cancellationToken: cancellationToken)) == 1;
    }
}
