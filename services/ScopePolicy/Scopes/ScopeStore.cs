using Dapper;
using Npgsql;

namespace OAuthAspire.ScopePolicy.Scopes;

public sealed record ScopeRow(string Name, string Description, bool Active);

/// <summary>Reads and writes the scope table.</summary>
public sealed class ScopeStore(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<ScopeRow>> ListAsync(bool includeInactive, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ScopeRow>(new CommandDefinition(
            "SELECT name, description, active FROM scope WHERE active OR @includeInactive ORDER BY name",
            new { includeInactive }, cancellationToken: cancellationToken));
        return rows.AsList();
    }
}
