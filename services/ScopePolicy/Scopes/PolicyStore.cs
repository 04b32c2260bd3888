using System.Text.Json;
using Dapper;
using Npgsql;
using OAuthAspire.Protocol.Policies;

namespace OAuthAspire.ScopePolicy.Scopes;

public sealed record ApiRuleDto(string[]? Methods, string? Resource, string[]? Scopes);

/// <summary>The admin API's policy (camelCase JSON).</summary>
public sealed record ApiPolicyDto(string? Name, string? BasePath, ApiRuleDto[]? Rules)
{
    public IReadOnlyList<ApiRule> ToRules() =>
        (Rules ?? []).Select(r => new ApiRule((r.Methods ?? []).Distinct().ToArray(), r.Resource ?? "", (r.Scopes ?? []).Distinct().ToArray())).ToArray();

    public static ApiPolicyDto From(ApiPolicy policy) =>
        new(policy.Name, policy.BasePath, policy.Rules.Select(r => new ApiRuleDto([.. r.Methods], r.Resource, [.. r.Scopes])).ToArray());
}

/// <summary>Reads and writes the API policies.</summary>
public sealed class PolicyStore(NpgsqlDataSource dataSource)
{
    public NpgsqlDataSource DataSource => dataSource;

    public async Task<IReadOnlyList<ApiPolicy>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Name, string BasePath, string Rules)>(new CommandDefinition(
            "SELECT name, base_path, rules::text FROM api_policy ORDER BY name", cancellationToken: cancellationToken));
        return rows.Select(r => new ApiPolicy(r.Name, r.BasePath, Deserialize(r.Rules))).ToArray();
    }

    public async Task<ApiPolicy?> FindAsync(string name, CancellationToken cancellationToken) =>
        (await ListAsync(cancellationToken)).FirstOrDefault(p => p.Name == name);

    /// <summary>Names of the policies linking <paramref name="scope"/>.</summary>
    public static async Task<IReadOnlyList<string>> LinkingAsync(NpgsqlTransaction tx, string scope, CancellationToken cancellationToken) =>
        (await tx.Connection!.QueryAsync<string>(new CommandDefinition(
            "SELECT name FROM api_policy WHERE rules @> jsonb_build_array(jsonb_build_object('scopes', jsonb_build_array(@scope::text))) ORDER BY name",
            new { scope }, tx, cancellationToken: cancellationToken))).AsList();

    public static async Task<bool> InsertAsync(NpgsqlTransaction tx, ApiPolicy policy, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            "INSERT INTO api_policy (name, base_path, rules) VALUES (@Name, @BasePath, @rules::jsonb) ON CONFLICT DO NOTHING",
            new { policy.Name, policy.BasePath, rules = Serialize(policy.Rules) }, tx, cancellationToken: cancellationToken)) == 1;

    public static async Task<bool> UpdateAsync(NpgsqlTransaction tx, string name, ApiPolicy policy, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            "UPDATE api_policy SET name = @Name, base_path = @BasePath, rules = @rules::jsonb, updated_at = now() WHERE name = @name0",
            new { policy.Name, policy.BasePath, rules = Serialize(policy.Rules), name0 = name }, tx, cancellationToken: cancellationToken)) == 1;

    public static async Task<bool> DeleteAsync(NpgsqlTransaction tx, string name, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition("DELETE FROM api_policy WHERE name = @name", new { name }, tx,
            cancellationToken: cancellationToken)) == 1;

    private static string Serialize(IReadOnlyList<ApiRule> rules) => JsonSerializer.Serialize(rules, JsonSerializerOptions.Web);

    private static IReadOnlyList<ApiRule> Deserialize(string json) => JsonSerializer.Deserialize<ApiRule[]>(json, JsonSerializerOptions.Web) ?? [];
}
