using MassTransit;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.ScopePolicy.Scopes;

/// <summary>
/// Settles which clients use which scope from client-registry's events, once per event (a durable
/// queue: a restart misses none). Refusals and events written before clients carried a version
/// (ClientVersion 0) change nothing: the backfill covers those clients.
/// </summary>
public sealed class ClientScopesConsumer(ClientUseView uses) : IConsumer<ClientCreated>, IConsumer<ClientUpdated>, IConsumer<ClientDeleted>
{
    public Task Consume(ConsumeContext<ClientCreated> context) =>
        SettleAsync(context.Message, context.Message.ClientId, context.Message.ClientVersion, false, context.Message.Scopes, context.CancellationToken);

    public Task Consume(ConsumeContext<ClientUpdated> context) =>
        SettleAsync(context.Message, context.Message.ClientId, context.Message.ClientVersion, false, context.Message.Scopes, context.CancellationToken);

    public Task Consume(ConsumeContext<ClientDeleted> context) =>
        SettleAsync(context.Message, context.Message.ClientId, context.Message.ClientVersion, true, [], context.CancellationToken);

    private Task SettleAsync(AuditEvent change, string clientId, long version, bool deleted, IReadOnlyList<string>? scopes, CancellationToken cancellationToken) =>
        change.Outcome == AuditOutcome.Success && version >= 1
            ? uses.SettleAsync(new ClientUses(clientId, version, deleted, scopes ?? []), cancellationToken)
            : Task.CompletedTask;
}
