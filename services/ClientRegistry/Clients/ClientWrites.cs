using Grpc.Core;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Admin;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.ClientRegistry.Clients;

/// <summary>How a write of the registry ended.</summary>
public abstract record ClientWrite
{
    /// <param name="Version">The client's version after the write.</param>
    public sealed record Done(long Version) : ClientWrite;

    /// <summary>The client id is taken, now or by a deleted client.</summary>
    public sealed record Taken : ClientWrite;

    /// <summary>Scopes or trusts their owners do not know, by field.</summary>
    public sealed record Invalid(Validation Validation) : ClientWrite;

    public sealed record Gone : ClientWrite;

    /// <summary>scope-policy or federation-trust did not answer: nothing was written.</summary>
    public sealed record Unavailable : ClientWrite;

    /// <summary>What was to be written with it refused (a registration's token spent meanwhile, its policy full): nothing was written.</summary>
    public sealed record Aborted : ClientWrite;
}

/// <summary>
/// The registry's writes, shared by the admin API and self-registration: each in one transaction with
/// the claims on what the client uses (<see cref="UseClaims"/>), its audit events, and what must go
/// with it (a cut-off of its tokens when it is deactivated or deleted).
/// </summary>
public sealed class ClientWrites(ClientStore store, UseClaims claims, IAuditSink audit)
{
    /// <param name="also">More to write in the same transaction (a registration's own columns and events); false undoes everything.</param>
    public Task<ClientWrite> CreateAsync(ClientRecord client, AuditActor actor, Func<NpgsqlTransaction, Task<bool>>? also, CancellationToken cancellationToken) =>
        GuardAsync(() => store.DataSource.InTransactionAsync<ClientWrite>(async tx =>
        {
            if (!await ClientStore.InsertAsync(tx, client, cancellationToken))
            {
                return new ClientWrite.Taken();
            }

            // Claimed once the row is inserted (the id is ours) and before it commits (see UseClaims).
            if (await claims.ClaimAsync(client, client.Version, cancellationToken) is { } unknown)
            {
                return new ClientWrite.Invalid(unknown);
            }

            await audit.WriteAsync(tx, new ClientCreated(client.ClientId, client.Name, client.Public, client.GrantTypes, client.Scopes, client.AllowedOrigins,
                client.Trusts, client.Version) { Actor = actor }, cancellationToken);
            return also is null || await also(tx) ? new ClientWrite.Done(client.Version) : new ClientWrite.Aborted();
        }, written => written is ClientWrite.Done, cancellationToken));

    /// <param name="wasActive">Whether the client was active before: deactivated now, its live tokens stay dead even if it is activated again.</param>
    public Task<ClientWrite> UpdateAsync(ClientRecord client, bool wasActive, AuditActor actor, Func<NpgsqlTransaction, Task<bool>>? also,
        CancellationToken cancellationToken) =>
        GuardAsync(() => store.DataSource.InTransactionAsync<ClientWrite>(async tx =>
        {
            // The updated row stays locked until the commit, so the version claimed is the one committed (see UseClaims).
            if (await ClientStore.UpdateAsync(tx, client, cancellationToken) is not { } version)
            {
                return new ClientWrite.Gone();
            }

            if (await claims.ClaimAsync(client, version, cancellationToken) is { } unknown)
            {
                return new ClientWrite.Invalid(unknown);
            }

            await audit.WriteAsync(tx, new ClientUpdated(client.ClientId, client.Name, client.Active, client.GrantTypes, client.Scopes, client.AllowedOrigins,
                client.Trusts, version) { Actor = actor }, cancellationToken);
            if (wasActive && !client.Active)
            {
                await CutOffAsync(tx, client.ClientId, actor, "client deactivated", cancellationToken);
            }

            return also is null || await also(tx) ? new ClientWrite.Done(version) : new ClientWrite.Aborted();
        }, written => written is ClientWrite.Done, cancellationToken));

    /// <returns>False when there was no such client.</returns>
    /// <param name="first">Runs first in the same transaction (a check that locks the row, an event); false deletes nothing.</param>
    public Task<bool> DeleteAsync(string clientId, AuditActor actor, CancellationToken cancellationToken, Func<NpgsqlTransaction, Task<bool>>? first = null,
        string reason = "client deleted") =>
        store.DataSource.InTransactionAsync(async tx =>
        {
            if (first is not null && !await first(tx) || await ClientStore.DeleteAsync(tx, clientId, cancellationToken) is not { } version)
            {
                return false;
            }

            await audit.WriteAsync(tx, new ClientDeleted(clientId, version) { Actor = actor, Reason = reason }, cancellationToken);
            await CutOffAsync(tx, clientId, actor, reason, cancellationToken);
            return true;
        }, deleted => deleted, cancellationToken);

    /// <summary>Every token of the client issued until now is refused from the next call on (edge and introspection).</summary>
    public Task CutOffAsync(NpgsqlTransaction tx, string clientId, AuditActor actor, string reason, CancellationToken cancellationToken) =>
        audit.WriteAsync(tx, new TokensCutOff(Protocol.Tokens.CutOffs.Client, clientId, DateTimeOffset.UtcNow) { Actor = actor, Reason = reason },
            cancellationToken);

    /// <summary>A save whose claims find scope-policy or federation-trust away is rolled back.</summary>
    private static async Task<ClientWrite> GuardAsync(Func<Task<ClientWrite>> save)
    {
        try
        {
            return await save();
        }
        catch (RpcException e) when (ClientValidator.IsUnavailable(e))
        {
            return new ClientWrite.Unavailable();
        }
    }
}
