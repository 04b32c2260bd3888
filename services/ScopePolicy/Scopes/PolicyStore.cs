using System.Text.Json;
using Dapper;
using Npgsql;
using OAuthAspire.Protocol;
using OAuthAspire.Protocol.Policies;

namespace OAuthAspire.ScopePolicy.Scopes;

public sealed record ApiRuleDto(string[]? Methods, string? Resource, string[]? Scopes);

/// <summary>The admin API's policy (camelCase JSON).</summary>
public sealed record ApiPolicyDto(string? Name, string? BasePath, ApiRuleDto[]? Rules)
{
    /// <summary>RFC 8707 resource identifier, the audience of its tokens: an absolute URI; absent means <c>{issuer}{basePath}</c>.</summary>
    public string? Resource { get; init; }

    /// <summary>Whether tokens with the default audience (<c>{issuer}/api</c>) are good here too; absent means false.</summary>
    public bool? AcceptDefaultAudience { get; init; }

    public IReadOnlyList<ApiRule> ToRules() =>
        (Rules ?? []).Select(r => new ApiRule((r.Methods ?? []).Distinct().ToArray(), r.Resource ?? "", (r.Scopes ?? []).Distinct().ToArray())).ToArray();

    public static ApiPolicyDto From(ApiPolicy policy) =>
        new(policy.Name, policy.BasePath, policy.Rules.Select(r => new ApiRuleDto([.. r.Methods], r.Resource, [.. r.Scopes])).ToArray())
        {
            Resource = policy.Resource,
            AcceptDefaultAudience = policy.AcceptDefaultAudience,
        };
}

/// <summary>Reads and writes the API policies; every policy read has its resource identifier, the default one resolved.</summary>
public sealed class PolicyStore(NpgsqlDataSource dataSource, Issuer issuer)
{
    private const string Select = "SELECT name, base_path, rules::text, resource, accept_default_audience FROM api_policy";

    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>The resource identifier a policy has when none is given (RFC 8707).</summary>
    public string DefaultResource(string basePath) => issuer.Url(basePath);

    public async Task<IReadOnlyList<ApiPolicy>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return Read(await connection.QueryAsync<(string, string, string, string?, bool)>(new CommandDefinition($"{Select} ORDER BY name", cancellationToken: cancellationToken)));
    }

    /// <summary>
    /// Every policy, with the table locked against other writers until the transaction ends, so a
    /// save's check that its resource identifier is unused holds when it commits.
    /// </summary>
    public async Task<IReadOnlyList<ApiPolicy>> LockAllAsync(NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        await tx.Connection!.ExecuteAsync(new CommandDefinition("LOCK TABLE api_policy IN SHARE ROW EXCLUSIVE MODE", transaction: tx,
            cancellationToken: cancellationToken));
        return Read(await tx.Connection!.QueryAsync<(string, string, string, string?, bool)>(new CommandDefinition(Select, transaction: tx, cancellationToken: cancellationToken)));
    }

    private ApiPolicy[] Read(IEnumerable<(string Name, string BasePath, string Rules, string? Resource, bool AcceptDefaultAudience)> rows) =>
        rows.Select(r => new ApiPolicy(r.Name, r.BasePath, Deserialize(r.Rules), r.Resource ?? DefaultResource(r.BasePath), r.AcceptDefaultAudience)).ToArray();

    public async Task<ApiPolicy?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return Read(await connection.QueryAsync<(string, string, string, string?, bool)>(new CommandDefinition($"{Select} WHERE name = @name",
            new { name }, cancellationToken: cancellationToken))).FirstOrDefault();
    }

    /// <summary>Names of the policies linking <paramref name="scope"/>.</summary>
    public static async Task<IReadOnlyList<string>> LinkingAsync(NpgsqlTransaction tx, string scope, CancellationToken cancellationToken) =>
        (await tx.Connection!.QueryAsync<string>(new CommandDefinition(
            "SELECT name FROM api_policy WHERE rules @> jsonb_build_array(jsonb_build_object('scopes', jsonb_build_array(@scope::text))) ORDER BY name",
            new { scope }, tx, cancellationToken: cancellationToken))).AsList();

    public static async Task<bool> InsertAsync(NpgsqlTransaction tx, ApiPolicy policy, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO api_policy (name, base_path, rules, resource, accept_default_audience)
            VALUES (@Name, @BasePath, @rules::jsonb, @Resource, @AcceptDefaultAudience) ON CONFLICT DO NOTHING
            """,
            new { policy.Name, policy.BasePath, rules = Serialize(policy.Rules), policy.Resource, policy.AcceptDefaultAudience }, tx,
            cancellationToken: cancellationToken)) == 1;

    public static async Task<bool> UpdateAsync(NpgsqlTransaction tx, string name, ApiPolicy policy, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            UPDATE api_policy SET name = @Name, base_path = @BasePath, rules = @rules::jsonb, resource = @Resource,
                accept_default_audience = @AcceptDefaultAudience, updated_at = now()
            WHERE name = @name0
            """,
            new { policy.Name, policy.BasePath, rules = Serialize(policy.Rules), policy.Resource, policy.AcceptDefaultAudience, name0 = name }, tx,
            cancellationToken: cancellationToken)) == 1;

    public static async Task<bool> DeleteAsync(NpgsqlTransaction tx, string name, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition("DELETE FROM api_policy WHERE name = @name", new { name }, tx,
            cancellationToken: cancellationToken)) == 1;

    private static string Serialize(IReadOnlyList<ApiRule> rules) => JsonSerializer.Serialize(rules, JsonSerializerOptions.Web);

    private static IReadOnlyList<ApiRule> Deserialize(string json) => JsonSerializer.Deserialize<ApiRule[]>(json, JsonSerializerOptions.Web) ?? [];
}
