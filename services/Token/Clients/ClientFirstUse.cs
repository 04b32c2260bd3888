using System.Collections.Concurrent;
using Dapper;
using Npgsql;
using OAuthAspire.Contracts.Audit;
using OAuthAspire.ServiceDefaults.Audit;
using OAuthAspire.ServiceDefaults.Data;

namespace OAuthAspire.Token.Clients;

/// <summary>
/// A self-registered client's first token is recorded (<c>client_first_use</c>), and the registry told
/// with a <c>ClientFirstUsed</c> event in the same transaction, so it never deletes a client in use as
/// "never used". The event is sent again the first time each replica sees the client and then every
/// <see cref="SignalEvery"/> while it is used: a signal delayed or lost on the way (an outage, a queue
/// not bound yet) is made good long before any policy's expiry, which counts in days. The hot path
/// touches the database only then; clients registered by an administrator are never recorded.
/// A failure to record is logged and retried on the client's next token: the tokens are answered anyway.
/// </summary>
public sealed class ClientFirstUse(NpgsqlDataSource dataSource, IAuditSink audit, TimeProvider time, ILogger<ClientFirstUse> logger)
{
    public static readonly TimeSpan SignalEvery = TimeSpan.FromHours(12);
    private static readonly TimeSpan RecordTimeout = TimeSpan.FromSeconds(2);
    private const int MaxRemembered = 100_000;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _signalled = new(StringComparer.Ordinal);

    public async Task RecordAsync(RegisteredClient client, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!client.SelfRegistered || (_signalled.TryGetValue(client.ClientId, out var at) && now - at < SignalEvery))
        {
            return;
        }

        // Bounded: the tokens wait for this answer.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RecordTimeout);
        try
        {
            await SignalAsync(client.ClientId, timeout.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "The use of client {ClientId} could not be recorded yet", client.ClientId);
            return;
        }

        if (_signalled.Count >= MaxRemembered)
        {
            _signalled.Clear();
        }

        _signalled[client.ClientId] = now;
    }

    private Task SignalAsync(string clientId, CancellationToken cancellationToken) =>
        dataSource.InTransactionAsync(async tx =>
        {
            var firstUsedAt = await tx.Connection!.QuerySingleAsync<DateTime>(new CommandDefinition("""
                INSERT INTO client_first_use (client_id) VALUES (@clientId)
                ON CONFLICT (client_id) DO UPDATE SET client_id = excluded.client_id
                RETURNING used_at
                """, new { clientId }, tx, cancellationToken: cancellationToken));
            await audit.WriteAsync(tx, new ClientFirstUsed(clientId, new DateTimeOffset(DateTime.SpecifyKind(firstUsedAt, DateTimeKind.Utc)))
                { Actor = AuditActor.Client(clientId) }, cancellationToken);
        }, cancellationToken);
}
