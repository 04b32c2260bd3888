using Dapper;
using MassTransit;
using Npgsql;
using OAuthAspire.Contracts.Audit;

namespace OAuthAspire.ClientRegistry.Registration;

/// <summary>
/// The token service's <c>ClientFirstUsed</c>: the client is in use, so it never expires as unused
/// (<see cref="UnusedClientExpiry"/>). One replica takes each event (a shared queue); repeats (the token service re-sends) change nothing.
/// </summary>
public sealed class ClientFirstUsedConsumer(NpgsqlDataSource dataSource) : IConsumer<ClientFirstUsed>
{
    public async Task Consume(ConsumeContext<ClientFirstUsed> context)
    {
        await using var connection = await dataSource.OpenConnectionAsync(context.CancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE oauth_client SET first_used_at = @at WHERE client_id = @clientId AND first_used_at IS NULL",
            new { clientId = context.Message.ClientId, at = (context.Message.FirstUsedAt == default ? context.Message.OccurredAt : context.Message.FirstUsedAt).UtcDateTime }, cancellationToken: context.CancellationToken));
    }
}
