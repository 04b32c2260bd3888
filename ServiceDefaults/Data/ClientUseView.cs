using Dapper;
using Npgsql;

namespace OAuthAspire.ServiceDefaults.Data;

/// <summary>
/// Which clients use which of this service's names (scope-policy's scopes, federation-trust's
/// trusts), kept in the service's own tables <c>client_use</c>, <c>client_use_version</c> and
/// <c>client_use_view</c> (created by its migrations), so that it can refuse to delete a name in use
/// without calling client-registry, which owns the clients and calls this service (never the reverse:
/// the call graph stays acyclic). Before a client's save commits, client-registry claims the names
/// (<see cref="ClaimAsync"/>); the client's ClientCreated, ClientUpdated and ClientDeleted events
/// settle them (<see cref="SettleAsync"/>); at its start it backfills a view that is not initialized
/// (<see cref="ReplaceAsync"/>). The view may over-report a use (a save that failed after its claim,
/// until that client's next change), never miss one: a name it shows unused is unused.
/// </summary>
public sealed class ClientUseView(NpgsqlDataSource dataSource)
{
    /// <summary>Locks (FOR SHARE) the rows of the named things that exist and are usable, and returns their names.</summary>
    public delegate Task<IReadOnlyList<string>> LockUsable(NpgsqlTransaction tx, string[] names, CancellationToken cancellationToken);

    /// <summary>
    /// Records that the client's <paramref name="version"/> uses <paramref name="names"/>, unless one
    /// is unknown (then nothing is recorded) or <paramref name="checkOnly"/>. The names stay locked
    /// until the uses commit, so a delete of one (which locks it FOR UPDATE, then reads the uses)
    /// either comes first, and the claim finds the name gone, or sees the use.
    /// </summary>
    /// <returns>The names that are unknown.</returns>
    public Task<IReadOnlyList<string>> ClaimAsync(string clientId, long version, IEnumerable<string> names, bool checkOnly, LockUsable lockUsable,
        CancellationToken cancellationToken)
    {
        var distinct = names.Distinct(StringComparer.Ordinal).ToArray();
        return dataSource.InTransactionAsync<IReadOnlyList<string>>(async tx =>
        {
            // A name with a NUL names nothing PostgreSQL could store: unknown, and not sent (the query would fail).
            var known = (await lockUsable(tx, [.. distinct.Where(n => !n.Contains('\0'))], cancellationToken)).ToHashSet(StringComparer.Ordinal);
            var unknown = distinct.Where(n => !known.Contains(n)).ToArray();
            if (unknown.Length == 0 && !checkOnly)
            {
                await RecordAsync(tx, clientId, distinct, version, cancellationToken);
            }

            return unknown;
        }, cancellationToken);
    }

    /// <summary>Settles one client's uses from its event (see <see cref="ClientUsePlan"/>).</summary>
    public Task SettleAsync(ClientUses uses, CancellationToken cancellationToken) =>
        dataSource.InTransactionAsync(tx => ApplyAsync(tx, uses, cancellationToken), cancellationToken);

    /// <summary>
    /// Settles every client client-registry holds and marks the view initialized, in one transaction.
    /// Claims and events newer than what was sent win; uses of clients it did not send (created since
    /// it read them) stay.
    /// </summary>
    public Task ReplaceAsync(IReadOnlyList<ClientUses> all, CancellationToken cancellationToken) =>
        dataSource.InTransactionAsync(async tx =>
        {
            foreach (var uses in all)
            {
                await ApplyAsync(tx, uses, cancellationToken);
            }

            await tx.Connection!.ExecuteAsync(new CommandDefinition("UPDATE client_use_view SET initialized = true", transaction: tx,
                cancellationToken: cancellationToken));
        }, cancellationToken);

    public async Task<bool> IsInitializedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT initialized FROM client_use_view", cancellationToken: cancellationToken));
    }

    /// <summary>False until client-registry has backfilled the view: which clients use what is not known yet.</summary>
    public static async Task<bool> IsInitializedAsync(NpgsqlTransaction tx, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT initialized FROM client_use_view", transaction: tx,
            cancellationToken: cancellationToken));

    /// <summary>Up to ten clients using <paramref name="name"/>, by id.</summary>
    public static async Task<IReadOnlyList<string>> ClientsUsingAsync(NpgsqlTransaction tx, string name, CancellationToken cancellationToken) =>
        (await tx.Connection!.QueryAsync<string>(new CommandDefinition(
            "SELECT client_id FROM client_use WHERE name = @name ORDER BY client_id LIMIT 10", new { name }, tx,
            cancellationToken: cancellationToken))).AsList();

    private static async Task ApplyAsync(NpgsqlTransaction tx, ClientUses uses, CancellationToken cancellationToken)
    {
        var connection = tx.Connection!;
        var clientId = uses.ClientId;
        // One settlement of a client at a time: its version row stays locked until this commits.
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO client_use_version (client_id, version) VALUES (@clientId, 0) ON CONFLICT (client_id) DO NOTHING",
            new { clientId }, tx, cancellationToken: cancellationToken));
        var recordedVersion = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT version FROM client_use_version WHERE client_id = @clientId FOR UPDATE", new { clientId }, tx, cancellationToken: cancellationToken));
        var recorded = await connection.QueryAsync<ClientUse>(new CommandDefinition(
            "SELECT name, version FROM client_use WHERE client_id = @clientId", new { clientId }, tx, cancellationToken: cancellationToken));
        var change = ClientUsePlan.Settle(recordedVersion, recorded, uses);
        if (!change.Applies)
        {
            return;
        }

        // The version is checked again here: a claim that raised a use's version since it was read keeps it.
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM client_use WHERE client_id = @clientId AND name = ANY(@remove) AND (@deleted OR version <= @version)",
            new { clientId, remove = change.Remove.ToArray(), deleted = uses.Deleted, version = uses.Version }, tx, cancellationToken: cancellationToken));
        await RecordAsync(tx, clientId, [.. change.Add], uses.Version, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE client_use_version SET version = @version, deleted = @deleted WHERE client_id = @clientId",
            new { clientId, version = uses.Version, deleted = uses.Deleted }, tx, cancellationToken: cancellationToken));
    }

    /// <summary>Adds uses; one recorded already keeps the greater version.</summary>
    private static async Task RecordAsync(NpgsqlTransaction tx, string clientId, string[] names, long version, CancellationToken cancellationToken)
    {
        if (names.Length == 0)
        {
            return;
        }

        await tx.Connection!.ExecuteAsync(new CommandDefinition("""
            INSERT INTO client_use (client_id, name, version) SELECT @clientId, n, @version FROM unnest(@names) AS n
            ON CONFLICT (client_id, name) DO UPDATE SET version = GREATEST(client_use.version, excluded.version)
            """, new { clientId, names, version }, tx, cancellationToken: cancellationToken));
    }
}
