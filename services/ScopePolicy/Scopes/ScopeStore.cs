using Dapper;
using Npgsql;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.ScopePolicy.Scopes;

public sealed record ScopeRow(string Name, string Description, bool Active);

public sealed record ScopeDto(string? Name, string? Description, bool? Active);

/// <summary>Reads and writes the scope table.</summary>
public sealed class ScopeStore(NpgsqlDataSource dataSource)
{
    public NpgsqlDataSource DataSource => dataSource;

    public async Task<IReadOnlyList<ScopeRow>> ListAsync(bool includeInactive, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ScopeRow>(new CommandDefinition(
            "SELECT name, description, active FROM scope WHERE active OR @includeInactive ORDER BY name",
            new { includeInactive }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Which of <paramref name="names"/> exist and are active: a decision reads the scopes it names, not every scope.</summary>
    public async Task<HashSet<string>> ActiveAmongAsync(IEnumerable<string> names, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT name FROM scope WHERE name = ANY(@names) AND active", new { names = names.Distinct(StringComparer.Ordinal).ToArray() },
            cancellationToken: cancellationToken));
        return rows.ToHashSet(StringComparer.Ordinal);
    }

    public async Task<ScopeRow?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ScopeRow>(new CommandDefinition(
            "SELECT name, description, active FROM scope WHERE name = @name", new { name }, cancellationToken: cancellationToken));
    }

    public static async Task<bool> InsertAsync(NpgsqlTransaction tx, ScopeRow scope, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            "INSERT INTO scope (name, description, active) VALUES (@Name, @Description, @Active) ON CONFLICT (name) DO NOTHING",
            scope, tx, cancellationToken: cancellationToken)) == 1;

    public static async Task<bool> UpdateAsync(NpgsqlTransaction tx, ScopeRow scope, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            "UPDATE scope SET description = @Description, active = @Active, updated_at = now() WHERE name = @Name",
            scope, tx, cancellationToken: cancellationToken)) == 1;

    public static async Task<bool> DeleteAsync(NpgsqlTransaction tx, string name, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition("DELETE FROM scope WHERE name = @name", new { name }, tx,
            cancellationToken: cancellationToken)) == 1;

    /// <summary>
    /// Locks the named scopes that exist and are active (shared lock) and returns them, so a policy
    /// linking them commits only if none was deleted meanwhile.
    /// </summary>
    public static async Task<IReadOnlyList<string>> LockActiveAsync(NpgsqlTransaction tx, IEnumerable<string> names, CancellationToken cancellationToken) =>
        (await tx.Connection!.QueryAsync<string>(new CommandDefinition(
            "SELECT name FROM scope WHERE name = ANY(@names) AND active FOR SHARE", new { names = names.Distinct().ToArray() }, tx,
            cancellationToken: cancellationToken))).AsList();

    /// <summary>Locks one scope for deletion; false when it does not exist.</summary>
    public static async Task<bool> LockForDeleteAsync(NpgsqlTransaction tx, string name, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteScalarAsync<int?>(new CommandDefinition(
            "SELECT 1 FROM scope WHERE name = @name FOR UPDATE", new { name }, tx, cancellationToken: cancellationToken)) == 1;
}
