using System.Collections.Concurrent;
using Dapper;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;
using OAuthAspire.ServiceDefaults.Http;

namespace OAuthAspire.Token.Clients;

/// <summary>
/// The first token a self-registered client gets is recorded once, with a <c>ClientFirstUsed</c>
/// event in the same transaction, so the registry never deletes a client in use as "never used".
/// Each replica remembers the clients it has recorded (bounded), so the hot path touches the database
/// once per client and replica; clients registered by an administrator are never recorded.
/// </summary>
/// A failure to record is logged and retried on the client's next token: the tokens already issued are still answered.
public sealed class ClientFirstUse(NpgsqlDataSource dataSource, IAuditSink audit, ILogger<ClientFirstUse> logger)
{
    private const int MaxRemembered = 100_000;
    private readonly ConcurrentDictionary<string, byte> recorded = new(StringComparer.Ordinal);

    public async Task RecordAsync(RegisteredClient client, CancellationToken cancellationToken)
    {
        if (!client.SelfRegistered || recorded.ContainsKey(client.ClientId))
        {
            return;
        }

        try
        {
            await RecordOnceAsync(client.ClientId, cancellationToken);
        }
        catch (Exception e) when (Dependencies.Away(e))
        {
            logger.LogWarning("The first use of client {ClientId} could not be recorded yet: {Reason}", client.ClientId, e.Message);
            return;
        }

        if (recorded.Count >= MaxRemembered)
        {
            recorded.Clear();
        }

        recorded.TryAdd(client.ClientId, 0);
    }

    private Task RecordOnceAsync(string clientId, CancellationToken cancellationToken) =>
        dataSource.InTransactionAsync(async tx =>
        {
            var first = await tx.Connection!.ExecuteAsync(new CommandDefinition(
                "INSERT INTO client_first_use (client_id) VALUES (@clientId) ON CONFLICT DO NOTHING",
                new { clientId }, tx, cancellationToken: cancellationToken)) == 1;
            if (first)
            {
                await audit.WriteAsync(tx, new ClientFirstUsed(clientId) { Actor = AuditActor.Client(clientId) }, cancellationToken);
            }
        }, cancellationToken);
}
